using System.Diagnostics;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.LeastPrivilege;

/// <summary>
/// AllowSudoDuringInstall through the engine, with the real /etc/sudoers.d and a real sudo: the drop-in
/// exists while install.sh runs (and works), and is gone after success, failure, timeout, and after an
/// engine process killed mid-install (cleaned at the next engine start).
/// </summary>
public sealed class SudoDuringInstallTests
{
    [RootFact]
    public void The_grant_works_during_install_and_is_gone_after_success()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var p = Register(h, repo, InstallChecksSudo(h, "exit 0"));

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.Equal("sudo ok; grant file present", File.ReadAllText(Path.Combine(h.StateDir, "sudo")).Trim());
        Assert.False(File.Exists(GrantFile(p)));
        // run.sh never gets it: no_new_privs.
        Assert.Equal("run: no sudo", File.ReadAllText(Path.Combine(h.StateDir, "run-sudo")).Trim());
    }

    [RootFact]
    public void The_grant_is_gone_after_a_failed_install()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var p = Register(h, repo, InstallChecksSudo(h, "exit 3"));

        DeploymentAssert.Status(h, DeploymentStatus.Failed, h.Deploy("app"));

        Assert.Equal("sudo ok; grant file present", File.ReadAllText(Path.Combine(h.StateDir, "sudo")).Trim());
        Assert.False(File.Exists(GrantFile(p)));
    }

    [RootFact]
    public void The_grant_is_gone_after_an_install_timeout()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var p = Register(h, repo, InstallChecksSudo(h, "exec sleep 300"), TimeSpan.FromSeconds(3));

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains("timed out", d.Reason);
        Assert.Equal("sudo ok; grant file present", File.ReadAllText(Path.Combine(h.StateDir, "sudo")).Trim());
        Assert.False(File.Exists(GrantFile(p)));
    }

    [RootFact]
    public void A_grant_left_by_an_engine_process_killed_mid_install_is_removed_at_the_next_engine_start()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var p = Register(h, repo, InstallChecksSudo(h, "exec sleep 300"));
        // Queue without a runner here: the deployment is drained by a separate engine process we can kill.
        var (queued, _) = h.Engine.Enqueue("app", null, DeploymentTrigger.Manual, forceInstall: false);
        using var worker = Process.Start(new ProcessStartInfo(Dotnet, new[] { TestHost, "run-queue", h.DataPath, "app" })
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        try
        {
            CicdOps.Tests.Engine.QueueTests.WaitFor(() => File.Exists(Path.Combine(h.StateDir, "sudo")));
            Assert.True(File.Exists(GrantFile(p)), "the grant must exist while install.sh runs");

            worker.Kill(); // SIGKILL: no finally, no Dispose runs in the engine process
            worker.WaitForExit();
            Assert.True(File.Exists(GrantFile(p)), "a killed engine process cannot clean up after itself");

            using (CicdEngine.Open(h.Options)) { } // the next start, of any front end
            Assert.False(File.Exists(GrantFile(p)));
        }
        finally
        {
            if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            File.Delete(GrantFile(p));
        }
        // The orphaned install.sh is stopped when the deployment is found interrupted.
        var recovered = h.Engine.RecoverInterrupted();
        Assert.Contains(recovered, r => r.Id == queued.Id);
    }

    internal static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "/usr/bin/dotnet";

    internal static string TestHost => Path.Combine(AppContext.BaseDirectory, "cicdops-testhost.dll");

    private static string GrantFile(Project p) => Path.Combine("/etc/sudoers.d", "cicdops-" + p.ServiceUser);

    private static string InstallChecksSudo(EngineHarness h, string then) => $"""
        #!/bin/bash
        if sudo -n true && sudo -n test -f "/etc/sudoers.d/cicdops-$USER"; then r="sudo ok; grant file present"; else r="no sudo"; fi
        echo "$r" > "{h.StateDir}/sudo"
        {then}
        """;

    private static Project Register(EngineHarness h, TestRepository repo, string install, TimeSpan? installTimeout = null)
    {
        Assert.True(File.Exists("/usr/bin/sudo"), "sudo must be installed (CI: apt-get install -y sudo)");
        repo.Write(".cicd/install.sh", install);
        repo.Write(".cicd/run.sh", $"""
            #!/bin/bash
            if sudo -n true 2>/dev/null; then echo "run: sudo" > "{h.StateDir}/run-sudo"; else echo "run: no sudo" > "{h.StateDir}/run-sudo"; fi
            exec sleep 300
            """);
        repo.CommitAndPush();
        return h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "app"), Branch = repo.Branch,
            AllowSudoDuringInstall = true, InstallTimeout = installTimeout, HealthTimeout = TimeSpan.FromSeconds(5),
        });
    }
}
