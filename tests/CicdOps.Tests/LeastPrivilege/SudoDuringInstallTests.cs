using System.Diagnostics;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.LeastPrivilege;

/// <summary>Tests that create and sweep grants in the real /etc/sudoers.d run alone: any engine start sweeps there too.</summary>
[CollectionDefinition("sudoers", DisableParallelization = true)]
public sealed class SudoersCollection { }

/// <summary>
/// Sudo commands through the engine, with the real /etc/sudoers.d and a real sudo: the drop-in exists
/// while install.sh runs (and works, for exactly the named commands), and is gone after success, failure,
/// timeout, cancel, and after an engine process killed mid-install (by the next engine start, or within
/// seconds by a running listener's sweep).
/// </summary>
[Collection("sudoers")]
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
        Assert.False(File.Exists(GrantFile(h)));
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
        Assert.False(File.Exists(GrantFile(h)));
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
        Assert.False(File.Exists(GrantFile(h)));
    }

    [RootFact]
    public void A_grant_left_by_an_engine_process_killed_mid_install_is_removed_at_the_next_engine_start()
    {
        using var repo = new TestRepository();
        // A scratch grant directory: any other CicdOps start on this machine would sweep /etc/sudoers.d first.
        using var sudoers = new TempDirectory("cicdops-sudoers");
        using var h = new EngineHarness(new EngineOptions { SudoersDirectory = sudoers.Path });
        var p = Register(h, repo, InstallChecksSudo(h, "exec sleep 300"));
        // Queue without a runner here: the deployment is drained by a separate engine process we can kill.
        var (queued, _) = h.Engine.Enqueue("app", null, DeploymentTrigger.Manual, forceInstall: false);
        using var worker = Process.Start(new ProcessStartInfo(Dotnet, new[] { TestHost, "run-queue", h.DataPath, "app", sudoers.Path })
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        try
        {
            CicdOps.Tests.Engine.QueueTests.WaitFor(() => File.Exists(Path.Combine(h.StateDir, "sudo")));
            var grant = Path.Combine(sudoers.Path, Path.GetFileName(GrantFile(h)));
            Assert.True(File.Exists(grant), "the grant must exist while install.sh runs");

            worker.Kill(); // SIGKILL: no finally, no Dispose runs in the engine process
            worker.WaitForExit();
            Assert.True(File.Exists(grant), "a killed engine process cannot clean up after itself");

            using (CicdEngine.Open(h.Options)) { } // the next start, of any front end
            Assert.False(File.Exists(grant));
        }
        finally
        {
            if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            foreach (var f in Directory.GetFiles(sudoers.Path)) File.Delete(f);
        }
        // The orphaned install.sh is stopped when the deployment is found interrupted.
        var recovered = h.Engine.RecoverInterrupted();
        Assert.Contains(recovered, r => r.Id == queued.Id);
    }

    [RootFact]
    public void Named_commands_run_as_root_during_install_and_nothing_else_does()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var result = Path.Combine(h.StateDir, "sudo");
        Register(h, repo, $"""
            #!/bin/bash
            exec > "{result}" 2>/dev/null
            sudo -n /usr/bin/id -u && echo "id ok"
            sudo -n /usr/bin/true && echo "true allowed"
            sudo -n /usr/bin/id -g && echo "other args allowed"
            exit 0
            """, sudo: new[] { "/usr/bin/id -u" });

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal(new[] { "0", "id ok" }, File.ReadAllLines(Path.Combine(h.StateDir, "sudo")));
        Assert.Contains("sudo allowed for: /usr/bin/id -u", h.Log(d));
        Assert.DoesNotContain("warning", h.Log(d));
        Assert.False(File.Exists(GrantFile(h)));
    }

    [RootFact]
    public void A_grant_of_ALL_is_warned_about_in_the_log_of_every_install_that_uses_it()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        Register(h, repo, "#!/bin/bash\nexit 0\n");

        var first = h.Deploy("app");
        var forced = h.Deploy("app", forceInstall: true);

        foreach (var d in new[] { first, forced })
        {
            DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
            Assert.Contains("warning: " + CicdOps.Engine.Sandbox.SudoCommands.AllWarning, h.Log(d));
        }
    }

    [RootFact]
    public void No_sudo_commands_means_no_grant_and_no_sudo()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        Register(h, repo, InstallChecksSudo(h, "exit 0"), sudo: Array.Empty<string>());

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.Empty(h.Engine.GetProject("app").SudoCommands);
        Assert.Equal("no sudo", File.ReadAllText(Path.Combine(h.StateDir, "sudo")).Trim());
    }

    [RootFact]
    public void Cancelling_a_deployment_during_install_removes_the_sudo_grant()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        Register(h, repo, InstallChecksSudo(h, "exec sleep 300"));
        var d = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        CicdOps.Tests.Engine.QueueTests.WaitFor(() => File.Exists(Path.Combine(h.StateDir, "sudo")));
        Assert.True(File.Exists(GrantFile(h)), "the grant must exist while install.sh runs");

        h.Engine.CancelDeployment("app");

        Assert.Equal(DeploymentStatus.Cancelled, h.Wait(d).Status);
        Assert.Equal("sudo ok; grant file present", File.ReadAllText(Path.Combine(h.StateDir, "sudo")).Trim());
        Assert.False(File.Exists(GrantFile(h)));
    }

    [RootFact]
    public void A_grant_left_by_a_killed_engine_process_is_swept_by_a_running_listener()
    {
        using var repo = new TestRepository();
        // Grants go to a scratch directory sudo never reads: every CicdOps start on this machine sweeps
        // /etc/sudoers.d, and only this listener's sweep may remove this grant for the test to mean anything.
        using var sudoers = new TempDirectory("cicdops-sudoers");
        using var h = new EngineHarness(new EngineOptions { SudoersDirectory = sudoers.Path });
        Register(h, repo, InstallChecksSudo(h, "exec sleep 300"));
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        // The listener starts before the grant exists, so only its periodic sweep can remove it.
        var options = new CicdOps.Engine.Listener.ListenerOptions { Port = FreePort.Next(), BindAddress = "127.0.0.1", AllowUnsigned = true };
        var listener = h.Engine.RunListenerAsync(options, new CicdOps.Server.KestrelHttpServer(options), lines.Enqueue, stop.Token);
        CicdOps.Tests.Engine.QueueTests.WaitFor(() => lines.Any(l => l.StartsWith("listening on")));
        h.Engine.Enqueue("app", null, DeploymentTrigger.Manual, forceInstall: false);
        using var worker = Process.Start(new ProcessStartInfo(Dotnet, new[] { TestHost, "run-queue", h.DataPath, "app", sudoers.Path })
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        try
        {
            CicdOps.Tests.Engine.QueueTests.WaitFor(() => File.Exists(Path.Combine(h.StateDir, "sudo")));
            var grant = Path.Combine(sudoers.Path, Path.GetFileName(GrantFile(h)));
            Assert.True(File.Exists(grant), "the grant must exist while install.sh runs");
            Assert.DoesNotContain(lines, l => l.StartsWith("sudo: removed")); // a live holder's grant is kept

            worker.Kill(); // SIGKILL: the worker's own cleanup never runs
            worker.WaitForExit();

            // Nothing else runs on this data directory and scratch sudoers directory: the running listener removed it,
            // by its sudo sweep or by recovering the dead worker's deployment, whichever came first.
            CicdOps.Tests.Engine.QueueTests.WaitFor(() => !File.Exists(grant));
        }
        finally
        {
            if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            stop.Cancel();
            listener.GetAwaiter().GetResult();
        }
        h.Engine.RecoverInterrupted(); // stops the orphaned install.sh
    }

    [RootFact]
    public void Sudo_commands_that_could_inject_sudoers_syntax_are_refused_and_nothing_is_stored()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.Write(".cicd/run.sh", "#!/bin/bash\nexec sleep 300\n").CommitAndPush();
        var attempts = new[]
        {
            "/usr/bin/id, ALL", "/usr/bin/id : ALL", "/usr/bin/id\nroot ALL=(ALL) ALL", "/usr/bin/id\\, ALL", "/usr/bin/*",
            "/usr/bin/id *", "usr/bin/id", "ALL, /usr/bin/id", "/usr/bin/id =", "!/usr/bin/id", "/usr/bin/id #comment",
            "/usr/bin/id \"x\"", "/usr/bin/../bin/sh", "/usr/bin/id\targ", "", "sudoedit /etc/shadow", "/usr/bin/[", "ALL /usr/bin/id",
        };
        foreach (var attempt in attempts)
        {
            var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec
            {
                Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "app"), Branch = repo.Branch,
                SudoCommands = new[] { attempt },
            }));
            Assert.Equal(CicdError.InvalidArgument, e.Error);
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "app"), Branch = repo.Branch,
            SudoCommands = new[] { "ALL", "/usr/bin/id" },
        }));
        Assert.Empty(h.Engine.GetProjects());
        // And through a change: refused, the stored commands stay.
        h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "app"), Branch = repo.Branch,
            SudoCommands = new[] { "/usr/bin/systemctl restart nginx" },
        });
        Assert.Throws<CicdException>(() => h.Engine.UpdateProject("app", new ProjectUpdate { SudoCommands = new[] { "/usr/bin/id, ALL" } }));
        Assert.Equal(new[] { "/usr/bin/systemctl restart nginx" }, h.Engine.GetProject("app").SudoCommands);
        Assert.Empty(h.Engine.UpdateProject("app", new ProjectUpdate { ClearSudoCommands = true }).SudoCommands);
    }

    internal static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "/usr/bin/dotnet";

    internal static string TestHost => Path.Combine(AppContext.BaseDirectory, "cicdops-testhost.dll");

    // The account exists from the first deploy on.
    private static string GrantFile(EngineHarness h) =>
        Path.Combine("/etc/sudoers.d", "cicdops-" + (h.Engine.GetProject("app").ServiceUser ?? throw new InvalidOperationException("no account yet")));

    private static string InstallChecksSudo(EngineHarness h, string then) => $"""
        #!/bin/bash
        if sudo -n true && sudo -n test -f "/etc/sudoers.d/cicdops-$USER"; then r="sudo ok; grant file present"; else r="no sudo"; fi
        echo "$r" > "{h.StateDir}/sudo"
        {then}
        """;

    private static Project Register(EngineHarness h, TestRepository repo, string install, TimeSpan? installTimeout = null,
        IReadOnlyList<string>? sudo = null)
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
            SudoCommands = sudo ?? new[] { "ALL" }, InstallTimeout = installTimeout, HealthTimeout = TimeSpan.FromSeconds(5),
        });
    }
}
