using CicdOps.Engine.Fleet;
using CicdOps.Fleet.Mongo;
using CicdOps.Fleet.Postgres;

namespace CicdOps.Fleet;

/// <summary>Opens the registry a URI names (postgres:// or mongodb[+srv]://).</summary>
public static class FleetRegistries
{
    public static IFleetRegistry Open(string uri) => RegistryAddress.Parse(uri) switch
    {
        RegistryBackend.PostgreSql => new PostgresRegistry(PostgresUri.ToConnectionString(uri)),
        _ => new MongoRegistry(uri),
    };
}
