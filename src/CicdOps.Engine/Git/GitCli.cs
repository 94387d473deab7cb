using System.Diagnostics;
using System.Text;
using CicdOps.Engine.Sandbox;
using CicdOps.Engine.Validation;

namespace CicdOps.Engine.Git;

/// <summary>
/// Runs the git CLI. Arguments always travel as a list (no shell), user-supplied refs follow
/// --end-of-options, only the protocols in <see cref="RepositoryUrl.AllowedGitProtocols"/> are allowed
/// (no "ext::" remote helpers), and git never prompts: a missing credential fails fast instead of hanging.
/// With a <see cref="Plan"/>, git runs as the project's account with its clean environment: that account
/// owns .git, so hooks, core.fsmonitor or filters someone put in .git/config must never run as root.
/// </summary>
internal sealed class GitCli
{
    /// <param name="join">The tracker's join prefix: a deployment's git runs in its unit, so git left behind by a dead runner is found and stopped.</param>
    public GitCli(LaunchPlan? plan = null, string? globalConfig = null, IReadOnlyList<string>? join = null)
    {
        Plan = plan; _globalConfig = globalConfig; _join = join;
    }

    private readonly string? _globalConfig;
    private readonly IReadOnlyList<string>? _join;

    /// <summary>How to run git as the project's account; null runs it as the engine (registration's ls-remote).</summary>
    public LaunchPlan? Plan { get; }

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    private long _elapsedTicks;
    private int _calls;

    /// <summary>Time spent inside git by this instance (the benchmark subtracts it from the total; overlapping calls count twice).</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _elapsedTicks));

    /// <summary>How many git processes this instance started (a rollback to a kept release starts none). Calls may overlap.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public async Task<GitResult> RunAsync(string? workingDirectory, IReadOnlyList<string> args, CancellationToken ct, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (workingDirectory is not null)
        {
            // The checkout may belong to a project's service user; trust exactly this directory.
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("safe.directory=" + workingDirectory);
        }
        // Credentials in an http(s) URL travel in the environment, not on the command line `ps` shows to everyone.
        var arguments = args.ToList();
        var (credentialOptions, credentialEnvironment) = UrlCredentials.Extract(arguments);
        foreach (var a in credentialOptions) psi.ArgumentList.Add(a);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        var direct = psi.ArgumentList.Prepend("git").ToList();
        Plan?.Apply(psi);
        foreach (var (k, v) in credentialEnvironment) psi.Environment[k] = v;
        // After the plan: it replaces the environment, and LC_ALL is not a name it lets callers set.
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_ALLOW_PROTOCOL"] = RepositoryUrl.AllowedGitProtocols;
        psi.Environment["LC_ALL"] = "C";
        if (_globalConfig is not null) psi.Environment["GIT_CONFIG_GLOBAL"] = _globalConfig;
        if (!psi.Environment.ContainsKey("GIT_SSH_COMMAND")) psi.Environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes";
        if (_join is { Count: > 0 }) Processes.ProcessLaunch.Prepend(psi, _join);
        // git alone, joined and dropped by the starting thread where it can be (Processes/ThreadLaunch): one exec, not three.
        Processes.ProcessLaunch.OfferDirect(psi, direct, Plan, _join);

        var sw = Stopwatch.StartNew();
        Interlocked.Increment(ref _calls);
        using var p = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        Processes.ProcessLaunch.Start(p);
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await p.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            ct.ThrowIfCancellationRequested();
            return new GitResult(-1, "", $"git {args.FirstOrDefault()} timed out");
        }
        finally { Interlocked.Add(ref _elapsedTicks, sw.Elapsed.Ticks); }
        return new GitResult(p.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
