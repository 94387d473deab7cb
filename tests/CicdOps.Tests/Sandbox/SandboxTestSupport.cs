using System.Diagnostics;
using System.Runtime.Versioning;
using CicdOps.Engine.Sandbox;
using Xunit;

namespace CicdOps.Tests.Sandbox;

/// <summary>
/// Runs as root on Linux: these tests create real users and sudo grants. Elsewhere they are skipped, except in
/// CI (the CI variable set, as every CI system does) or with CICDOPS_REQUIRE_ROOT_TESTS=1: there they run, and a
/// lost root fails loudly instead of a run that skipped them reporting "Passed!".
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!RootTests.Required && !RootTests.IsRoot)
            Skip = "Needs root on Linux (creates real users, chowns, sudoers drop-ins).";
    }
}

public static class RootTests
{
    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>CI, or asked for explicitly: root-only tests must run (and fail when not root).</summary>
    public static bool Required =>
        Environment.GetEnvironmentVariable("CICDOPS_REQUIRE_ROOT_TESTS") == "1" ||
        Environment.GetEnvironmentVariable("CI") is { Length: > 0 } ci && ci != "0" && !ci.Equals("false", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// A scratch area for one test: a directory under /tmp (0755, so accounts can reach their own project
/// directory inside), a home root, a sudoers directory when asked, and every account created through
/// <see cref="CreateAccount"/> deleted on Dispose.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class SandboxScratch : IDisposable
{
    private readonly List<string> _accounts = new();

    public SandboxScratch(string? sudoersDirectory = null)
    {
        Root = Path.Combine("/tmp", "cicdops-sbx-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        DataPath = Path.Combine(Root, "data");
        Sandbox = new UnixProjectSandbox(Path.Combine(Root, "homes"), sudoersDirectory ?? Path.Combine(Root, "sudoers.d"), DataPath);
    }

    public string Root { get; }
    public string DataPath { get; }
    public UnixProjectSandbox Sandbox { get; }

    public ServiceAccount CreateAccount(string projectName = "test-proj")
    {
        var a = Sandbox.EnsureAccount(projectName, null);
        _accounts.Add(a.Name);
        return a;
    }

    public string ProjectDir(string name)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Removes what the test made; anything left behind (account, sudoers drop-in, process) fails the test.</summary>
    public void Dispose()
    {
        var problems = new List<string>();
        var uids = _accounts.Select(a => (a, new UnixAccounts(Path.Combine(Root, "homes")).Find(a)?.Uid)).ToList();
        foreach (var a in _accounts)
        {
            try { Sandbox.RemoveAccount(a); }
            catch (Exception e) { problems.Add($"removing account {a} failed: {e.Message}"); }
        }
        problems.AddRange(Support.LeftBehind.Find(uids, Path.Combine(Root, "sudoers.d")));
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        if (problems.Count > 0) throw new Support.CleanupFailedException(problems);
    }
}

internal readonly record struct Ran(int ExitCode, string Stdout, string Stderr);

internal static class Launch
{
    /// <summary>Starts <paramref name="file"/> through <paramref name="plan"/> the way the runner will, and waits.</summary>
    public static Ran Run(LaunchPlan plan, string file, params string[] args) => RunIn(plan, "/", file, args);

    public static Ran RunIn(LaunchPlan plan, string workingDirectory, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        plan.Apply(psi);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000)) { p.Kill(true); throw new TimeoutException(file); }
        p.WaitForExit();
        return new Ran(p.ExitCode, stdout.Result, stderr.Result);
    }
}
