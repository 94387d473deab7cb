using System.Runtime.Versioning;
using CicdOps.Engine.Sandbox;
using Xunit;

namespace CicdOps.Tests.Sandbox;

[SupportedOSPlatform("linux")]
[Collection(CicdOps.Tests.Support.ProcessEnvironmentCollection.Name)]
public class SandboxedLaunchTests
{
    [RootFact]
    public void Script_runs_as_the_project_account_without_root_groups_or_the_daemons_environment()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("launch");
        Environment.SetEnvironmentVariable("CICDOPS_TEST_CANARY", "leaked-canary-7f3a");
        try
        {
            var plan = s.Sandbox.PlanLaunch(a,
                new Dictionary<string, string> { ["CICD_PROJECT"] = "launch" },
                new Dictionary<string, string> { ["API_TOKEN"] = "tok-12345" });
            var ran = Launch.Run(plan, "/bin/sh", "-c", "id -u; id -g; id -G; env; echo END");
            Assert.True(ran.ExitCode == 0, ran.Stderr);
            var lines = ran.Stdout.Split('\n');
            Assert.Equal(a.Uid.ToString(), lines[0]);
            Assert.Equal(a.Gid.ToString(), lines[1]);
            Assert.Equal(a.Gid.ToString(), lines[2]); // supplementary groups: only its own
            Assert.NotEqual("0", lines[0]);
            Assert.NotEqual("0", lines[1]);

            var env = lines.Skip(3).TakeWhile(l => l != "END").Where(l => l.Length > 0)
                .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
            Assert.DoesNotContain("leaked-canary-7f3a", ran.Stdout);
            Assert.Equal(a.Home, env["HOME"]);
            Assert.Equal(a.Name, env["USER"]);
            Assert.Equal("tok-12345", env["API_TOKEN"]);
            Assert.Equal("launch", env["CICD_PROJECT"]);
            // sh adds PWD (and may add SHLVL/_); nothing from the daemon.
            var expected = new HashSet<string> { "HOME", "USER", "LOGNAME", "SHELL", "PATH", "LANG", "CICD_PROJECT", "API_TOKEN", "PWD", "SHLVL", "_", "OLDPWD" };
            Assert.Subset(expected, env.Keys.ToHashSet());
        }
        finally
        {
            Environment.SetEnvironmentVariable("CICDOPS_TEST_CANARY", null);
        }
    }

    [RootFact]
    public void Processes_hold_no_capabilities_and_cannot_gain_privileges_unless_sudo_is_allowed()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("nnp");
        var plan = s.Sandbox.PlanLaunch(a, null, null);
        Assert.Contains("--no-new-privs", plan.Prefix);
        var ran = Launch.Run(plan, "/bin/cat", "/proc/self/status");
        Assert.Contains("NoNewPrivs:\t1", ran.Stdout);
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
            Assert.Contains($"{set}:\t0000000000000000", ran.Stdout);
        var install = Launch.Run(s.Sandbox.PlanLaunch(a, null, null, allowSudo: true), "/bin/cat", "/proc/self/status");
        Assert.Contains("NoNewPrivs:\t0", install.Stdout);
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapAmb" })
            Assert.Contains($"{set}:\t0000000000000000", install.Stdout);
        Assert.DoesNotContain("--no-new-privs", s.Sandbox.PlanLaunch(a, null, null, allowSudo: true).Prefix);
    }

    [RootFact]
    public void Refuses_to_plan_a_launch_as_root()
    {
        using var s = new SandboxScratch();
        Assert.Throws<CicdOps.Engine.CicdException>(() => s.Sandbox.PlanLaunch(new ServiceAccount("root", 0, 0, "/root"), null, null));
    }

    [RootFact]
    public void An_app_launch_returns_only_once_the_app_leads_its_own_group_as_the_account_so_an_immediate_stop_sees_it()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("launchwait");
        using var dir = new CicdOps.Tests.Support.TempDirectory("launchwait");
        var plan = s.Sandbox.PlanLaunch(a, null, null);
        using var app = CicdOps.Engine.Processes.AppLauncher.Start(
            new CicdOps.Engine.Processes.LaunchSpec(new[] { "/bin/sleep", "300" }, plan), "/", dir.Combine("app.log"));
        try
        {
            // Checked at once: before the wait, the launch was still a root process in the test's own group here.
            Assert.Equal(app.Id, CicdOps.Engine.Processes.Posix.ProcessGroupOf(app.Id));
            Assert.Equal(a.Uid, CicdOps.Engine.Processes.ProcFs.Uid(app.Id));
        }
        finally
        {
            app.Kill();
            app.WaitForExit();
        }
    }
}
