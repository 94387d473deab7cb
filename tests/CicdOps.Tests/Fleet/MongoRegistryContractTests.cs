using CicdOps.Fleet;

namespace CicdOps.Tests.Fleet;

/// <summary>
/// The registry contract against a real MongoDB (Atlas or a mongod; change streams need a replica set). Compiled
/// only when CICDOPS_TEST_MONGODB_URI is set at build time (see CicdOps.Tests.csproj), so without a server these
/// tests do not exist rather than pass; MongoSuiteStatusTests says which it was.
/// </summary>
public sealed class MongoRegistryContractTests : FleetRegistryContract
{
    private static readonly string BaseUri = Environment.GetEnvironmentVariable(MongoSuiteStatus.Variable)
        ?? throw new InvalidOperationException($"{MongoSuiteStatus.Variable} is not set: the MongoDB contract suite needs a server.");
    private readonly Dictionary<IFleetRegistry, string> _uris = new();

    protected override async Task<IFleetRegistry> NewRegistryAsync()
    {
        var uri = WithDatabase(BaseUri, "cicdops_test_" + Guid.NewGuid().ToString("N")[..12]);
        var r = FleetRegistries.Open(uri);
        _uris[r] = uri;
        await r.InitializeAsync(None);
        return r;
    }

    protected override async Task<IFleetRegistry> ReopenAsync(IFleetRegistry registry)
    {
        var r = FleetRegistries.Open(_uris[registry]);
        await r.InitializeAsync(None);
        return r;
    }

    private static string WithDatabase(string uri, string database)
    {
        var url = new MongoDB.Driver.MongoUrlBuilder(uri) { DatabaseName = database };
        return url.ToString();
    }
}
