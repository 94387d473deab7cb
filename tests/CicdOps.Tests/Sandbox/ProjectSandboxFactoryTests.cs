using CicdOps.Engine.Sandbox;
using Xunit;

namespace CicdOps.Tests.Sandbox;

public class ProjectSandboxFactoryTests
{
    [Fact]
    public void Picks_the_unix_sandbox_as_root_on_linux_and_the_current_user_otherwise()
    {
        var sandbox = ProjectSandboxFactory.Create(Path.Combine(Path.GetTempPath(), "unused-data"));
        var isRoot = OperatingSystem.IsLinux() && Environment.UserName == "root";
        Assert.Equal(isRoot, sandbox.IsSandboxed);
        Assert.Equal(isRoot, sandbox is UnixProjectSandbox);
        Assert.Equal(isRoot, sandbox.Warning is null);
    }

    [Fact]
    public void Current_user_sandbox_explains_itself_in_one_line_and_does_nothing_privileged()
    {
        var sandbox = new CurrentUserSandbox("CicdOps is not running as root");
        Assert.False(sandbox.IsSandboxed);
        Assert.Equal($"CicdOps is not running as root: projects run as {Environment.UserName}, not sandboxed", sandbox.Warning);
        var account = sandbox.EnsureAccount("p", "someone-else");
        Assert.Equal(Environment.UserName, account.Name);
        using (sandbox.GrantSudo(account, new[] { "ALL" })) { }
        Assert.Equal(0, sandbox.RemoveStaleSudoGrants());
    }
}
