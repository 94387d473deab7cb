using System.Text.RegularExpressions;
using CicdOps.Tests.Module;
using CicdOps.Tests.Sandbox;

namespace CicdOps.Tests.Support;

/// <summary>Rules the suite itself must keep, so its results can be trusted.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed partial class SuiteHygieneTests
{
    [GeneratedRegex(@"\[Collection\((CicdOps\.Tests\.Support\.)?ProcessEnvironmentCollection\.Name\)\]")]
    private static partial Regex ProcessEnvironmentAttribute();

    [Fact]
    public void Every_test_file_that_sets_a_process_environment_variable_runs_in_the_non_parallel_collection()
    {
        var tests = Path.Combine(ModulePaths.RepositoryRoot, "tests", "CicdOps.Tests");
        var offenders = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"))
            .Where(f => File.ReadAllText(f).Contains("Environment.SetEnvironmentVariable(", StringComparison.Ordinal))
            .Where(f => !ProcessEnvironmentAttribute().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(tests, f)).ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void Root_only_tests_are_required_in_CI()
    {
        var old = Environment.GetEnvironmentVariable("CI");
        var oldRequire = Environment.GetEnvironmentVariable("CICDOPS_REQUIRE_ROOT_TESTS");
        try
        {
            Environment.SetEnvironmentVariable("CICDOPS_REQUIRE_ROOT_TESTS", null);
            Environment.SetEnvironmentVariable("CI", "true");
            Assert.True(RootTests.Required);
            Assert.Null(new RootFactAttribute().Skip);
            Environment.SetEnvironmentVariable("CI", null);
            Assert.False(RootTests.Required);
            Assert.Equal(!RootTests.IsRoot, new RootFactAttribute().Skip is not null);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CI", old);
            Environment.SetEnvironmentVariable("CICDOPS_REQUIRE_ROOT_TESTS", oldRequire);
        }
    }

    [RootFact]
    public void A_cleanup_that_leaves_an_account_behind_fails_the_test()
    {
        var scratch = new SandboxScratch();
        var account = scratch.CreateAccount("leftover");
        // A process of the account that its cleanup does not end: userdel refuses, and the test must fail.
        var sleeper = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("setpriv")
        {
            ArgumentList = { $"--reuid={account.Uid}", $"--regid={account.Gid}", "--clear-groups", "--", "sleep", "60" },
        })!;
        try
        {
            var e = Assert.Throws<CleanupFailedException>(() => scratch.Dispose());
            Assert.Contains("leftover", e.Message);
        }
        finally
        {
            try { sleeper.Kill(); sleeper.WaitForExit(); } catch (InvalidOperationException) { }
            try { new CicdOps.Engine.Sandbox.UnixAccounts().Remove(account.Name); } catch (CicdOps.Engine.CicdException) { }
        }
    }
}
