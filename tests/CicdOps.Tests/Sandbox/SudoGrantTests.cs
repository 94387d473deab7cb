using System.Runtime.Versioning;
using CicdOps.Engine.Sandbox;
using Xunit;

namespace CicdOps.Tests.Sandbox;

/// <summary>
/// The scope mechanics run against a scratch directory and, for the grant really working, against the
/// real /etc/sudoers.d with a real sudo. Grants use the unique test account's name, so nothing else is touched.
/// </summary>
[SupportedOSPlatform("linux")]
public class SudoGrantTests
{
    private const UnixFileMode Mode0440 = UnixFileMode.UserRead | UnixFileMode.GroupRead;
    private static readonly string[] Everything = { SudoCommands.All };

    [RootFact]
    public void Grant_file_exists_validated_and_0440_only_inside_the_scope()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("sudo-scope");
        var path = s.Sandbox.Sudo.PathFor(a.Name);
        Directory.CreateDirectory(s.Sandbox.Sudo.Directory);
        using (var grant = s.Sandbox.GrantSudo(a, Everything))
        {
            Assert.True(File.Exists(path));
            Assert.Equal(Mode0440, File.GetUnixFileMode(path));
            Assert.Contains($"{a.Name} ALL=(ALL:ALL) NOPASSWD: ALL", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(s.Sandbox.Sudo.Directory, "*", SearchOption.AllDirectories)); // no temp left
        }
        Assert.False(File.Exists(path));
    }

    [RootFact]
    public void Grant_is_removed_when_install_throws()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("sudo-throw");
        Directory.CreateDirectory(s.Sandbox.Sudo.Directory);
        var path = s.Sandbox.Sudo.PathFor(a.Name);
        Action install = () =>
        {
            using var grant = s.Sandbox.GrantSudo(a, Everything);
            Assert.True(File.Exists(path));
            throw new InvalidOperationException("install.sh failed");
        };
        Assert.Throws<InvalidOperationException>(install);
        Assert.False(File.Exists(path));
    }

    [RootFact]
    public void RemoveStale_clears_grants_left_by_a_crash_and_nothing_else()
    {
        using var s = new SandboxScratch();
        var crashed = s.CreateAccount("sudo-crash");
        var reused = s.CreateAccount("sudo-reused");
        var live = s.CreateAccount("sudo-live");
        var dir = s.Sandbox.Sudo.Directory;
        Directory.CreateDirectory(dir);
        var other = Path.Combine(dir, "admins");
        File.WriteAllText(other, "# not ours\n");

        // "Crash": grants never disposed, held by a process that has exited, or by a pid since reused.
        _ = s.Sandbox.GrantSudo(crashed, Everything);
        SetHolder(s.Sandbox.Sudo.PathFor(crashed.Name), $"{ExitedPid()} 12345");
        _ = s.Sandbox.GrantSudo(reused, Everything);
        SetHolder(s.Sandbox.Sudo.PathFor(reused.Name), $"{Environment.ProcessId} {ProcessIdentity.Current.StartTime + 1}");
        var deadTemp = Path.Combine(dir, ".cicdops-" + crashed.Name + ".dead.tmp");
        File.WriteAllText(deadTemp, "half-written");
        File.SetLastWriteTimeUtc(deadTemp, DateTime.UtcNow.AddMinutes(-2));
        // A temporary with no holder line yet may be one another process is writing this instant: kept for a minute.
        var freshTemp = Path.Combine(dir, ".cicdops-" + live.Name + ".being-written.tmp");
        File.WriteAllText(freshTemp, "");
        // A grant another live engine process holds right now must survive this process's start-up.
        using var held = s.Sandbox.GrantSudo(live, Everything);

        Assert.Equal(3, s.Sandbox.RemoveStaleSudoGrants());
        Assert.Equal(new[] { other, s.Sandbox.Sudo.PathFor(live.Name), freshTemp }.Order(), Directory.GetFiles(dir).Order());
        Assert.Equal(2, s.Sandbox.Sudo.RemoveStale(includeLive: true));
        Assert.Equal(new[] { other }, Directory.GetFiles(dir));
    }

    private static void SetHolder(string file, string holder)
    {
        var lines = File.ReadAllLines(file).Select(l => l.StartsWith(SudoGrants.HolderMarker) ? SudoGrants.HolderMarker + holder : l);
        File.WriteAllLines(file, lines);
    }

    private static int ExitedPid()
    {
        using var p = System.Diagnostics.Process.Start("/bin/true")!;
        p.WaitForExit();
        return p.Id;
    }

    [RootFact]
    public void An_invalid_grant_never_reaches_the_directory()
    {
        using var s = new SandboxScratch();
        Directory.CreateDirectory(s.Sandbox.Sudo.Directory);
        Assert.Throws<CicdOps.Engine.CicdException>(() => s.Sandbox.GrantSudo(new ServiceAccount("root", 0, 0, "/root"), Everything));
        Assert.Throws<CicdOps.Engine.CicdException>(() => s.Sandbox.GrantSudo(new ServiceAccount("bad name", 1234, 1234, "/"), Everything));
        Assert.Empty(Directory.GetFiles(s.Sandbox.Sudo.Directory));
    }

    [RootFact]
    public void Real_sudoers_grant_works_during_the_scope_and_not_after()
    {
        Assert.True(File.Exists("/usr/bin/sudo"), "sudo must be installed (CI: apt-get install -y sudo)");
        using var s = new SandboxScratch(sudoersDirectory: SudoGrants.DefaultDirectory);
        var a = s.CreateAccount("sudo-real");
        var installPlan = s.Sandbox.PlanLaunch(a, null, null, allowSudo: true);
        try
        {
            Assert.NotEqual(0, Launch.Run(installPlan, "/usr/bin/sudo", "-n", "true").ExitCode);
            using (s.Sandbox.GrantSudo(a, Everything))
            {
                var listed = UnixAccountsTests.Tool("sudo", "-l", "-U", a.Name);
                Assert.Contains("NOPASSWD: ALL", listed);
                var asRoot = Launch.Run(installPlan, "/usr/bin/sudo", "-n", "id", "-u");
                Assert.True(asRoot.ExitCode == 0, asRoot.Stderr);
                Assert.Equal("0", asRoot.Stdout.Trim());
                // Run and health never get the grant's benefit: no_new_privs blocks sudo even while it exists.
                Assert.NotEqual(0, Launch.Run(s.Sandbox.PlanLaunch(a, null, null), "/usr/bin/sudo", "-n", "true").ExitCode);
            }
            Assert.False(File.Exists(s.Sandbox.Sudo.PathFor(a.Name)));
            Assert.NotEqual(0, Launch.Run(installPlan, "/usr/bin/sudo", "-n", "true").ExitCode);
            Assert.DoesNotContain("NOPASSWD", UnixAccountsTests.Tool("sudo", "-l", "-U", a.Name));
        }
        finally
        {
            File.Delete(s.Sandbox.Sudo.PathFor(a.Name));
        }
    }

    [RootFact]
    public void A_grant_of_named_commands_allows_those_as_root_and_nothing_else()
    {
        Assert.True(File.Exists("/usr/bin/sudo"), "sudo must be installed (CI: apt-get install -y sudo)");
        using var s = new SandboxScratch(sudoersDirectory: SudoGrants.DefaultDirectory);
        var a = s.CreateAccount("sudo-named");
        var installPlan = s.Sandbox.PlanLaunch(a, null, null, allowSudo: true);
        try
        {
            using (s.Sandbox.GrantSudo(a, new[] { "/usr/bin/id -u", "/usr/bin/whoami" }))
            {
                var content = File.ReadAllText(s.Sandbox.Sudo.PathFor(a.Name));
                Assert.Contains($"{a.Name} ALL=(root) NOPASSWD: /usr/bin/id -u, /usr/bin/whoami", content);
                Assert.DoesNotContain("NOPASSWD: ALL", content);
                var id = Launch.Run(installPlan, "/usr/bin/sudo", "-n", "/usr/bin/id", "-u");
                Assert.True(id.ExitCode == 0, id.Stderr);
                Assert.Equal("0", id.Stdout.Trim());
                Assert.Equal("root", Launch.Run(installPlan, "/usr/bin/sudo", "-n", "/usr/bin/whoami").Stdout.Trim());
                // Other arguments of a command granted with fixed ones, other commands, and other users are refused.
                Assert.NotEqual(0, Launch.Run(installPlan, "/usr/bin/sudo", "-n", "/usr/bin/id", "-g").ExitCode);
                Assert.NotEqual(0, Launch.Run(installPlan, "/usr/bin/sudo", "-n", "/bin/sh", "-c", "id").ExitCode);
                Assert.NotEqual(0, Launch.Run(installPlan, "/usr/bin/sudo", "-n", "-u", "nobody", "/usr/bin/whoami").ExitCode);
            }
            Assert.False(File.Exists(s.Sandbox.Sudo.PathFor(a.Name)));
        }
        finally
        {
            File.Delete(s.Sandbox.Sudo.PathFor(a.Name));
        }
    }

    [RootFact]
    public void A_grant_with_no_commands_is_refused_before_any_file_is_written()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("sudo-none");
        Directory.CreateDirectory(s.Sandbox.Sudo.Directory);
        Assert.Throws<CicdOps.Engine.CicdException>(() => s.Sandbox.GrantSudo(a, Array.Empty<string>()));
        Assert.Throws<CicdOps.Engine.CicdException>(() => s.Sandbox.GrantSudo(a, new[] { "/usr/bin/id, ALL" }));
        Assert.Empty(Directory.GetFiles(s.Sandbox.Sudo.Directory));
    }
}
