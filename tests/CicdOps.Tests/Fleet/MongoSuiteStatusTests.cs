using System.Reflection;
using Xunit.Abstractions;

namespace CicdOps.Tests.Fleet;

public static class MongoSuiteStatus
{
    public const string Variable = "CICDOPS_TEST_MONGODB_URI";
    public static bool Built => typeof(MongoSuiteStatus).Assembly.GetType("CicdOps.Tests.Fleet.MongoRegistryContractTests") is not null;
}

/// <summary>
/// Makes the MongoDB contract suite's absence visible instead of silent: it exists only in a build made with
/// CICDOPS_TEST_MONGODB_URI set, and a run with the variable set against a build without it fails here.
/// </summary>
public sealed class MongoSuiteStatusTests
{
    private readonly ITestOutputHelper _out;
    public MongoSuiteStatusTests(ITestOutputHelper output) { _out = output; }

    [Fact]
    public void The_mongodb_contract_suite_is_built_exactly_when_a_server_is_named()
    {
        var named = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(MongoSuiteStatus.Variable));
        _out.WriteLine(MongoSuiteStatus.Built
            ? "MongoDB contract suite: built and run against " + CicdOps.Engine.Fleet.RegistryAddress.Mask(Environment.GetEnvironmentVariable(MongoSuiteStatus.Variable) ?? "")
            : $"MongoDB contract suite: NOT RUN ({MongoSuiteStatus.Variable} was not set when the tests were built).");
        Assert.True(named || !MongoSuiteStatus.Built, $"MongoRegistryContractTests was built but {MongoSuiteStatus.Variable} is not set now.");
        Assert.True(!named || MongoSuiteStatus.Built,
            $"{MongoSuiteStatus.Variable} is set but the tests were built without it: rebuild so the MongoDB contract suite runs.");
    }
}
