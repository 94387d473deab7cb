using CicdOps.Engine;
using CicdOps.Engine.Model;

namespace CicdOps.Tests.Support;

/// <summary>
/// A real engine on a temporary data directory, with short grace periods so tests run fast. As root the
/// engine is sandboxed for real: each project gets its own account, removed on Dispose with the project,
/// and app output goes through the real masking log pump (the built CLI). Disposing stops every app the
/// tests started, so no process (and no cicd_* account) outlives the test.
/// </summary>
public sealed class EngineHarness : IDisposable
{
    private readonly TempDirectory _dir = new("cicdops-home");

    /// <param name="detachedWorkers">Deployments run in a detached `cicdops worker` process (as the CLI does), not in the test's.</param>
    /// <param name="workerPrefix">Runs each detached worker under this command (e.g. strace), when <paramref name="detachedWorkers"/>.</param>
    public EngineHarness(EngineOptions? options = null, bool logPump = true, bool detachedWorkers = false, IReadOnlyList<string>? workerPrefix = null)
    {
        var dataPath = _dir.Combine("data");
        Options = (options ?? new EngineOptions()) with
        {
            DataPath = dataPath,
            LogPumpCommand = logPump ? LogPump(dataPath) : null,
            WorkerCommand = detachedWorkers ? (workerPrefix ?? Array.Empty<string>()).Concat(Cli(dataPath, "worker")).ToList() : null,
            StopGracePeriod = TimeSpan.FromSeconds(2),
            SettlePeriod = TimeSpan.FromMilliseconds(300),
        };
        Engine = CicdEngine.Open(Options);
        StateDir = _dir.Combine("state");
        Directory.CreateDirectory(StateDir);
        // Test apps run as their projects' accounts and write here: world-writable, sticky like /tmp.
        File.SetUnixFileMode(StateDir, (UnixFileMode)0b1_111_111_111);
    }

    /// <summary>The real CLI's hidden log-pump, run from the test output (the tests reference the CLI project).</summary>
    public static IReadOnlyList<string> LogPump(string dataPath) => Cli(dataPath, "log-pump");

    private static IReadOnlyList<string> Cli(string dataPath, string command)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "/usr/bin/dotnet";
        return new[] { dotnet, Path.Combine(AppContext.BaseDirectory, "cicdops.dll"), "--data-dir", dataPath, command };
    }

    /// <summary>The project's app.log once it contains <paramref name="expected"/> (the pump may still be starting), or as it is after a while.</summary>
    public string AppLog(string project, string expected)
    {
        var path = Path.Combine(DataPath, "logs", project, "app.log");
        var until = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var text = File.Exists(path) ? File.ReadAllText(path) : "";
            if (text.Contains(expected) || DateTime.UtcNow > until) return text;
            Thread.Sleep(50);
        }
    }

    public EngineOptions Options { get; }
    public CicdEngine Engine { get; }
    public string DataPath => Engine.DataPath;
    /// <summary>Where test apps write what they serve, so tests can see which version runs.</summary>
    public string StateDir { get; }
    public string Root => _dir.Path;

    public string Serving => File.Exists(Path.Combine(StateDir, "serving")) ? File.ReadAllText(Path.Combine(StateDir, "serving")).Trim() : "";

    /// <param name="keepReleases">Null: the engine's default (release directories); 0 for a test of the in-place working tree.</param>
    public Project Register(TestRepository repo, string name = "app", int? port = null, TimeSpan? healthTimeout = null, TimeSpan? installTimeout = null,
        int? keepReleases = null) =>
        Engine.RegisterProject(new ProjectSpec
        {
            Name = name, Repository = repo.Url, Path = _dir.Combine("trees", name), Branch = repo.Branch, Port = port,
            HealthTimeout = healthTimeout ?? TimeSpan.FromSeconds(5), InstallTimeout = installTimeout, KeepReleases = keepReleases,
        });

    /// <summary>The tree the app serves from: `current` of a project with releases, else its path.</summary>
    public static string ServingTree(Project p) => p.KeepReleases > 0 ? Path.Combine(p.Path, "current") : p.Path;

    public Deployment Deploy(string project, string? commit = null, bool forceInstall = false) =>
        Wait(Engine.RequestDeployment(new DeploymentRequest { Project = project, Commit = commit, ForceInstall = forceInstall }));

    public Deployment Wait(Deployment d)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        return Engine.WaitForDeploymentAsync(d.Id, null, timeout.Token).GetAwaiter().GetResult();
    }

    public string Log(Deployment d) => Engine.ReadDeploymentLog(d.Id).Text;

    /// <summary>
    /// Removes every project and its account; an account, a sudoers drop-in or a process of it left behind fails
    /// the test (a cleanup error used to go to stderr while the test passed).
    /// </summary>
    public void Dispose()
    {
        var problems = new List<string>();
        var accounts = new List<(string, uint?)>();
        foreach (var p in Engine.GetProjects())
        {
            if (p.ServiceUser is { } user && Engine.IsSandboxed && CicdOps.Engine.Sandbox.ServiceUserName.IsManaged(user))
                accounts.Add((user, new CicdOps.Engine.Sandbox.UnixAccounts().Find(user)?.Uid));
            try { Engine.UnregisterProject(p.Name, removeServiceUser: true); }
            catch (CicdException e) { problems.Add($"removing project {p.Name} failed: {e.Message}"); }
        }
        Engine.Dispose();
        _dir.Dispose();
        if (Engine.IsSandboxed) problems.AddRange(LeftBehind.Find(accounts, CicdOps.Engine.Sandbox.SudoGrants.DefaultDirectory));
        if (problems.Count > 0) throw new CleanupFailedException(problems);
    }
}

public static class DeploymentAssert
{
    /// <summary>Asserts the status, showing the reason and the whole deployment log when it differs.</summary>
    public static void Status(EngineHarness h, DeploymentStatus expected, Deployment d)
    {
        if (d.Status != expected)
            Assert.Fail($"expected {expected}, got {d.Status}: {d.Reason}\n--- log ---\n{h.Log(d)}");
    }
}
