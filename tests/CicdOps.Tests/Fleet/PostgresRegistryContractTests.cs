using System.Runtime.CompilerServices;
using CicdOps.Fleet;
using CicdOps.Fleet.Postgres;

namespace CicdOps.Tests.Fleet;

/// <summary>The registry contract against a real PostgreSQL (a private cluster started by the tests).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRegistryContractTests : FleetRegistryContract
{
    private readonly PostgresCluster _pg;
    private static readonly ConditionalWeakTable<IFleetRegistry, string> Databases = new();

    public PostgresRegistryContractTests(PostgresCluster pg) { _pg = pg; }

    protected override async Task<IFleetRegistry> NewRegistryAsync()
    {
        var db = _pg.CreateDatabase();
        var r = FleetRegistries.Open(_pg.Uri(db));
        Databases.Add(r, db);
        await r.InitializeAsync(None);
        return r;
    }

    protected override async Task<IFleetRegistry> ReopenAsync(IFleetRegistry registry)
    {
        Databases.TryGetValue(registry, out var db);
        var r = FleetRegistries.Open(_pg.Uri(db!));
        await r.InitializeAsync(None);
        return r;
    }

    [Fact]
    public async Task The_schema_is_versioned_and_concurrent_upgrades_take_turns()
    {
        var db = _pg.CreateDatabase();
        var registries = Enumerable.Range(0, 4).Select(_ => FleetRegistries.Open(_pg.Uri(db))).ToList();
        await Task.WhenAll(registries.Select(r => r.InitializeAsync(None)));
        await registries[0].InitializeAsync(None); // again: nothing to do

        await using var c = new Npgsql.NpgsqlConnection(_pg.AdminConnectionString(db));
        await c.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT array_agg(version ORDER BY version) FROM fleet_schema_version", c);
        Assert.Equal(Enumerable.Range(1, PostgresSchema.LatestVersion).ToArray(), (int[])(await cmd.ExecuteScalarAsync())!);
        foreach (var r in registries) await r.DisposeAsync();
    }

    [Fact]
    public async Task A_wrong_password_is_a_registry_unavailable_error_that_does_not_show_the_uri()
    {
        var uri = $"postgres://{PostgresCluster.AdminUser}:wrong-secret-pw@127.0.0.1:{_pg.Port}/postgres";
        await using var r = FleetRegistries.Open(uri);
        var e = await Assert.ThrowsAsync<CicdException>(() => r.InitializeAsync(None));
        Assert.Equal(CicdError.FleetRegistryUnavailable, e.Error);
        Assert.DoesNotContain("wrong-secret-pw", e.ToString());
    }
}
