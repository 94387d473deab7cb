using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

/// <summary>All CLI tests run one after another: each starts real processes (the CLI, detached workers, apps).</summary>
[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection { }

/// <summary>
/// Runs the built `cicdops` as a real child process (`dotnet cicdops.dll --data-dir ...`) on a temporary data
/// directory. Disposing cancels and removes every project (which stops their apps) and deletes the directory.
/// </summary>
public sealed class CliHarness : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly TempDirectory _dir = new("cicdops-cli");

    public CliHarness()
    {
        DataPath = _dir.Combine("data");
        StateDir = _dir.Combine("state");
        Directory.CreateDirectory(StateDir);
        // As root, test apps run as their projects' own users: they must be able to write here (sticky, like /tmp).
        File.SetUnixFileMode(StateDir, (UnixFileMode)0b1_111_111_111);
    }

    public string DataPath { get; }
    public string StateDir { get; }
    public string Root => _dir.Path;
    public string TreePath(string name) => _dir.Combine("trees", name);
    public string Serving => File.Exists(Path.Combine(StateDir, "serving")) ? File.ReadAllText(Path.Combine(StateDir, "serving")).Trim() : "";

    /// <summary>The CLI built next to the tests (the test project references CicdOps.Cli).</summary>
    public static string CliDll { get; } = FindCli();

    private static string FindCli()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "cicdops.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("cicdops.dll is not next to the tests; build the test project", dll);
        return dll;
    }

    public CliResult Run(params string[] args)
    {
        var (code, stdout, stderr) = Support.Run.TryWithEnv("dotnet", Root, Env(), Argv(args));
        return new CliResult(code, stdout, stderr, args);
    }

    /// <summary>Runs with another --data-dir than the harness's own.</summary>
    public CliResult RunWithDataDir(string dataDir, params string[] args)
    {
        var (code, stdout, stderr) = Support.Run.TryWithEnv("dotnet", Root, Env(), new[] { CliDll, "--data-dir", dataDir }.Concat(args).ToArray());
        return new CliResult(code, stdout, stderr, args);
    }

    public Task<CliResult> RunAsync(params string[] args) => Task.Run(() => Run(args));

    /// <summary>Starts the CLI without waiting (for Ctrl+C tests).</summary>
    public Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = Root,
        };
        foreach (var a in Argv(args)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Env()) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    private string[] Argv(string[] args) => new[] { CliDll, "--data-dir", DataPath }.Concat(args).ToArray();

    private static Dictionary<string, string?> Env() => new()
    {
        ["CICDOPS_HOME"] = null, ["CICDOPS_DEBUG"] = null, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1",
    };

    /// <summary>`project add` with test-friendly defaults; asserts success.</summary>
    public Project Add(TestRepository repo, string name = "app", params string[] extra)
    {
        var defaults = extra.Contains("--health-timeout") ? Array.Empty<string>() : new[] { "--health-timeout", "5" };
        var r = Run(new[] { "project", "add", name, "--repo", repo.Url, "--path", TreePath(name), "--branch", repo.Branch, "--json" }
            .Concat(defaults).Concat(extra).ToArray());
        r.ShouldExit(0);
        return r.Json<Project>();
    }

    public List<Project> Projects() => Run("project", "list", "--json").ShouldExit(0).Json<List<Project>>();

    public List<Deployment> Deployments(string? project = null)
    {
        var args = project is null ? new[] { "deployments", "--json", "--limit", "100" } : new[] { "deployments", project, "--json", "--limit", "100" };
        return Run(args).ShouldExit(0).Json<List<Deployment>>();
    }

    /// <summary>Polls `deployments --json` until <paramref name="until"/> holds for the deployment (or fails after the timeout).</summary>
    public Deployment WaitFor(string project, long id, Func<Deployment, bool> until, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        Deployment? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = Deployments(project).FirstOrDefault(d => d.Id == id);
            if (last is not null && until(last)) return last;
            Thread.Sleep(200);
        }
        Assert.Fail($"deployment {id} did not reach the expected state; last: {last?.Status} {last?.Stage} {last?.Reason}\n--- log ---\n{Run("logs", project, "--deployment", id.ToString()).StdOut}");
        return null!;
    }

    public static T Parse<T>(string json) => JsonSerializer.Deserialize<T>(json, Json)!;

    public void Dispose()
    {
        try
        {
            foreach (var p in Projects())
            {
                Run("cancel", p.Name);
                for (var i = 0; i < 20 && Run("project", "remove", p.Name, "--remove-service-user").Code != 0; i++) Thread.Sleep(250);
            }
        }
        finally
        {
            _dir.Dispose();
        }
    }
}

public sealed record CliResult(int Code, string StdOut, string StdErr, string[] Args)
{
    public string[] ErrLines => StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public CliResult ShouldExit(int expected)
    {
        if (Code != expected)
            Assert.Fail($"`cicdops {string.Join(' ', Args)}` exited {Code}, expected {expected}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}");
        return this;
    }

    public T Json<T>() => CliHarness.Parse<T>(StdOut);
}

/// <summary>Scripts for apps whose install takes a while, so tests can act while a deployment runs.</summary>
public static class SlowInstall
{
    /// <summary>install.sh prints a line, sleeps, prints another; the marker file shows it started.</summary>
    public static TestRepository WriteSlowInstall(this TestRepository repo, int seconds, string stateDir) =>
        repo.Write(".cicd/install.sh", $$"""
            #!/bin/bash
            echo "install begins"
            echo $$ > "{{stateDir}}/install.pid"
            sleep {{seconds}}
            echo "install done"
            """);
}
