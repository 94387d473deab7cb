using CicdOps.Engine;
using CicdOps.Engine.Model;

namespace CicdOps.Tests.Support;

/// <summary>
/// A real engine on a temporary data directory, with short grace periods so tests run fast. Disposing
/// stops every app the tests started, so no process outlives the test.
/// </summary>
public sealed class EngineHarness : IDisposable
{
    private readonly TempDirectory _dir = new("cicdops-home");

    public EngineHarness(EngineOptions? options = null)
    {
        Options = (options ?? new EngineOptions()) with
        {
            DataPath = _dir.Combine("data"),
            StopGracePeriod = TimeSpan.FromSeconds(2),
            SettlePeriod = TimeSpan.FromMilliseconds(300),
        };
        Engine = CicdEngine.Open(Options);
        StateDir = _dir.Combine("state");
        Directory.CreateDirectory(StateDir);
    }

    public EngineOptions Options { get; }
    public CicdEngine Engine { get; }
    public string DataPath => Engine.DataPath;
    /// <summary>Where test apps write what they serve, so tests can see which version runs.</summary>
    public string StateDir { get; }
    public string Root => _dir.Path;

    public string Serving => File.Exists(Path.Combine(StateDir, "serving")) ? File.ReadAllText(Path.Combine(StateDir, "serving")).Trim() : "";

    public Project Register(TestRepository repo, string name = "app", int? port = null, TimeSpan? healthTimeout = null, TimeSpan? installTimeout = null) =>
        Engine.RegisterProject(new ProjectSpec
        {
            Name = name, Repository = repo.Url, Path = _dir.Combine("trees", name), Branch = repo.Branch, Port = port,
            HealthTimeout = healthTimeout ?? TimeSpan.FromSeconds(5), InstallTimeout = installTimeout,
        });

    public Deployment Deploy(string project, string? commit = null, bool forceInstall = false) =>
        Wait(Engine.RequestDeployment(new DeploymentRequest { Project = project, Commit = commit, ForceInstall = forceInstall }));

    public Deployment Wait(Deployment d)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        return Engine.WaitForDeploymentAsync(d.Id, null, timeout.Token).GetAwaiter().GetResult();
    }

    public string Log(Deployment d) => Engine.ReadDeploymentLog(d.Id).Text;

    public void Dispose()
    {
        foreach (var p in Engine.GetProjects())
        {
            try { Engine.UnregisterProject(p.Name); } catch (CicdException) { }
        }
        Engine.Dispose();
        _dir.Dispose();
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
