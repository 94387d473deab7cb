using System.Runtime.Versioning;
using CicdOps.Engine;
using CicdOps.Engine.Sandbox;
using Xunit;

namespace CicdOps.Tests.Sandbox;

[SupportedOSPlatform("linux")]
public class UnixAccountsTests
{
    [RootFact]
    public void Creates_a_locked_nologin_system_account_with_its_own_group_and_home()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("My Api");
        Assert.StartsWith("cicd_my-api-", a.Name);
        Assert.NotEqual(0u, a.Uid);
        Assert.NotEqual(0u, a.Gid);
        Assert.True(a.Uid < 1000, "a system account");

        var passwd = Tool("getent", "passwd", a.Name).Split(':');
        Assert.Equal("/usr/sbin/nologin", passwd[6].Trim());
        Assert.Equal(Path.Combine(s.Root, "homes", a.Name), passwd[5]);
        var group = Tool("getent", "group", a.Name).Split(':');
        Assert.Equal(a.Gid.ToString(), group[2]);
        var shadow = Tool("getent", "shadow", a.Name).Split(':');
        Assert.True(shadow[1] is "!" or "*" or "!*" or "!!", $"password field '{shadow[1]}' must be locked");

        Assert.True(Directory.Exists(a.Home));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(a.Home));
        Assert.Equal($"{a.Uid}:{a.Gid}", Tool("stat", "-c", "%u:%g", a.Home).Trim());

        s.Sandbox.RemoveAccount(a.Name);
        Assert.Null(s.Sandbox.Accounts.Find(a.Name));
        Assert.Equal(2, ToolExit("getent", "group", a.Name));
        Assert.False(Directory.Exists(a.Home));
    }

    [RootFact]
    public void Two_accounts_for_the_same_project_name_differ()
    {
        using var s = new SandboxScratch();
        Assert.NotEqual(s.CreateAccount("same").Name, s.CreateAccount("same").Name);
    }

    [RootFact]
    public void Existing_accounts_must_exist_and_never_be_root()
    {
        using var s = new SandboxScratch();
        var nobody = s.Sandbox.EnsureAccount("p", "nobody");
        Assert.Equal(65534u, nobody.Uid);
        Assert.Equal(CicdError.ServiceUserFailed, Assert.Throws<CicdException>(() => s.Sandbox.EnsureAccount("p", "root")).Error);
        Assert.Throws<CicdException>(() => s.Sandbox.EnsureAccount("p", "no-such-user-x1"));
        Assert.Throws<CicdException>(() => s.Sandbox.EnsureAccount("p", "nobody; rm -rf /"));
    }

    [RootFact]
    public void Never_deletes_an_account_it_did_not_create()
    {
        using var s = new SandboxScratch();
        Assert.Throws<CicdException>(() => s.Sandbox.RemoveAccount("nobody"));
        Assert.NotNull(s.Sandbox.Accounts.Find("nobody"));
    }

    internal static string Tool(string tool, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {p.ExitCode}");
        return output;
    }

    internal static int ToolExit(string tool, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }
}
