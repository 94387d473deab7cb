using System.Diagnostics;
using CicdOps.Engine;
using CicdOps.Engine.Sandbox;
using Xunit;

namespace CicdOps.Tests.Sandbox;

[Collection(CicdOps.Tests.Support.ProcessEnvironmentCollection.Name)]
public class LaunchEnvironmentTests
{
    private static readonly ServiceAccount Account = new("cicd_x-abcdef", 999, 999, "/var/lib/cicdops-home/cicd_x-abcdef");

    [Fact]
    public void Builds_the_base_then_engine_variables_then_secrets_and_nothing_else()
    {
        var env = LaunchEnvironment.Build(Account,
            new Dictionary<string, string> { ["CICD_COMMIT"] = "abc", ["PORT"] = "8080" },
            new Dictionary<string, string> { ["DB_URL"] = "postgres://x" });
        Assert.Equal(new Dictionary<string, string>
        {
            ["HOME"] = Account.Home, ["USER"] = Account.Name, ["LOGNAME"] = Account.Name, ["SHELL"] = "/bin/sh",
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ["LANG"] = "C.UTF-8",
            ["CICD_COMMIT"] = "abc", ["PORT"] = "8080", ["DB_URL"] = "postgres://x",
        }, env);
    }

    [Theory]
    [InlineData("LD_PRELOAD")]
    [InlineData("PATH")]
    [InlineData("GLIBC_TUNABLES")]
    [InlineData("BAD NAME")]
    public void Engine_variables_cannot_touch_the_base_or_the_loader(string name) =>
        Assert.Throws<ArgumentException>(() => LaunchEnvironment.Build(Account, new Dictionary<string, string> { [name] = "x" }, null));

    [Theory]
    [InlineData("LD_PRELOAD")]
    [InlineData("HOME")]
    [InlineData("CICD_COMMIT")]
    public void Secrets_cannot_take_reserved_names(string name)
    {
        var e = Assert.Throws<CicdException>(() => LaunchEnvironment.Build(Account, null, new Dictionary<string, string> { [name] = "x" }));
        Assert.Equal(CicdError.InvalidSecretName, e.Error);
    }

    [Fact]
    public void Secret_may_not_shadow_an_engine_variable_and_the_value_is_not_in_the_message()
    {
        var e = Assert.Throws<CicdException>(() => LaunchEnvironment.Build(Account,
            new Dictionary<string, string> { ["PORT"] = "1" }, new Dictionary<string, string> { ["PORT"] = "topsecret-value" }));
        Assert.DoesNotContain("topsecret-value", e.Message);
        var nul = Assert.Throws<ArgumentException>(() => LaunchEnvironment.Build(Account, null, new Dictionary<string, string> { ["K_EY"] = "a\0secretpart" }));
        Assert.DoesNotContain("secretpart", nul.Message);
    }

    [Fact]
    public void Unsandboxed_plan_runs_with_only_the_clean_environment()
    {
        Environment.SetEnvironmentVariable("CICDOPS_TEST_CANARY", "leaked-canary");
        try
        {
            var sandbox = new CurrentUserSandbox("test");
            var plan = sandbox.PlanLaunch(sandbox.ResolveAccount(null), new Dictionary<string, string> { ["CICD_X"] = "1" }, null);
            Assert.Empty(plan.Prefix);
            var ran = Launch.Run(plan, "/usr/bin/env");
            Assert.Equal(0, ran.ExitCode);
            Assert.DoesNotContain("leaked-canary", ran.Stdout);
            Assert.Contains("CICD_X=1", ran.Stdout);
            var names = ran.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..l.IndexOf('=')]).ToHashSet();
            Assert.Subset(new HashSet<string> { "HOME", "USER", "LOGNAME", "SHELL", "PATH", "LANG", "CICD_X", "PWD" }, names);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CICDOPS_TEST_CANARY", null);
        }
    }

    [Fact]
    public void Apply_refuses_shell_strings()
    {
        var plan = new CurrentUserSandbox("test").PlanLaunch(Account, null, null);
        Assert.Throws<ArgumentException>(() => plan.Apply(new ProcessStartInfo("/bin/sh", "-c 'echo hi'") { UseShellExecute = false }));
        Assert.Throws<ArgumentException>(() => plan.Apply(new ProcessStartInfo("/bin/sh") { UseShellExecute = true }));
    }
}
