using Npgsql;

namespace CicdOps.Fleet.Postgres;

/// <summary>
/// Registry schema versions, applied in order (like the SQLite store's State/Schema.cs): fleet_schema_version
/// records the last one. Append new versions at the end; never edit one that has shipped. Every node runs the
/// upgrade when it starts; a transaction-scoped advisory lock makes concurrent starts take turns.
/// </summary>
internal static class PostgresSchema
{
    // Any constant shared by every CicdOps node: "cicdops\0" read as a 64-bit integer.
    private const long UpgradeLock = 0x636963646f707300;

    private static readonly string[] Versions =
    {
        // 1: nodes, their projects, recent deployments and events. Keys: node id (+ project, deployment id, sequence).
        """
        CREATE TABLE fleet_nodes (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            interval_ms INTEGER NOT NULL,
            last_seen TIMESTAMPTZ NOT NULL,
            cpu_percent DOUBLE PRECISION,
            memory_total BIGINT,
            memory_available BIGINT,
            disk_free BIGINT,
            load1 DOUBLE PRECISION
        );
        CREATE TABLE fleet_projects (
            node_id TEXT NOT NULL REFERENCES fleet_nodes(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            node_name TEXT NOT NULL,
            repository TEXT NOT NULL,
            branch TEXT NOT NULL,
            status TEXT NOT NULL,
            commit_sha TEXT,
            last_good_commit TEXT,
            pinned_commit TEXT,
            health TEXT NOT NULL,
            cpu_percent DOUBLE PRECISION,
            memory_bytes BIGINT,
            updated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (node_id, name)
        );
        CREATE TABLE fleet_deployments (
            node_id TEXT NOT NULL REFERENCES fleet_nodes(id) ON DELETE CASCADE,
            id BIGINT NOT NULL,
            node_name TEXT NOT NULL,
            project TEXT NOT NULL,
            commit_sha TEXT,
            trigger TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            queued_at TIMESTAMPTZ NOT NULL,
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            PRIMARY KEY (node_id, id)
        );
        CREATE INDEX fleet_deployments_recent ON fleet_deployments (queued_at DESC);
        CREATE TABLE fleet_events (
            node_id TEXT NOT NULL REFERENCES fleet_nodes(id) ON DELETE CASCADE,
            seq BIGINT NOT NULL,
            node_name TEXT NOT NULL,
            at TIMESTAMPTZ NOT NULL,
            project TEXT,
            kind TEXT NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY (node_id, seq)
        );
        CREATE INDEX fleet_events_recent ON fleet_events (at DESC);
        """,
        // 2: fleet actions: rollouts (who asked, waves) and each node's request and outcome. Not tied to fleet_nodes:
        // a rollout's record outlives a node that leaves.
        """
        CREATE TABLE fleet_rollouts (
            id TEXT PRIMARY KEY,
            project TEXT NOT NULL,
            action TEXT NOT NULL,
            commit_sha TEXT,
            requested_by TEXT NOT NULL,
            requested_at TIMESTAMPTZ NOT NULL,
            waves BOOLEAN NOT NULL,
            wave_size INTEGER NOT NULL,
            rollback_on_failure BOOLEAN NOT NULL,
            wave_timeout_ms BIGINT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            finished_at TIMESTAMPTZ
        );
        CREATE INDEX fleet_rollouts_recent ON fleet_rollouts (requested_at DESC);
        CREATE TABLE fleet_rollout_targets (
            rollout_id TEXT NOT NULL REFERENCES fleet_rollouts(id) ON DELETE CASCADE,
            node_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            node_name TEXT NOT NULL,
            project TEXT NOT NULL,
            action TEXT NOT NULL,
            commit_sha TEXT,
            wave INTEGER NOT NULL,
            status TEXT NOT NULL,
            previous_commit TEXT,
            result_commit TEXT,
            deployment_id BIGINT,
            reason TEXT,
            requested_at TIMESTAMPTZ,
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            PRIMARY KEY (rollout_id, node_id, kind)
        );
        CREATE INDEX fleet_rollout_targets_pending ON fleet_rollout_targets (node_id) WHERE status = 'Requested';
        """,
        // 3: who drives a rollout (node, pid + start time) and its heartbeat, so a rollout whose driver died is ended
        // (Abandoned) instead of staying Running. Null for rollouts an older CicdOps started.
        """
        ALTER TABLE fleet_rollouts
            ADD COLUMN driver_node_id TEXT,
            ADD COLUMN driver_node TEXT,
            ADD COLUMN driver_pid INTEGER,
            ADD COLUMN driver_start BIGINT,
            ADD COLUMN driver_seen_at TIMESTAMPTZ;
        CREATE INDEX fleet_rollouts_running ON fleet_rollouts (requested_at) WHERE status = 'Running';
        """,
    };

    public static int LatestVersion => Versions.Length;

    public static async Task UpgradeAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var tx = await c.BeginTransactionAsync(ct);
        await Exec(c, $"SELECT pg_advisory_xact_lock({UpgradeLock})", ct);
        await Exec(c, "CREATE TABLE IF NOT EXISTS fleet_schema_version (version INTEGER NOT NULL)", ct);
        await using (var get = new NpgsqlCommand("SELECT max(version) FROM fleet_schema_version", c))
        {
            var current = await get.ExecuteScalarAsync(ct) is int v ? v : 0;
            if (current > Versions.Length)
                throw new CicdException(CicdError.FleetRegistryIncompatible, $"The fleet registry's schema is version {current}; this CicdOps knows up to {Versions.Length}.", null,
                    "Upgrade CicdOps on this node.");
            for (var v2 = current; v2 < Versions.Length; v2++)
            {
                await Exec(c, Versions[v2], ct);
                await Exec(c, $"INSERT INTO fleet_schema_version (version) VALUES ({v2 + 1})", ct);
            }
        }
        await tx.CommitAsync(ct);
    }

    private static async Task Exec(NpgsqlConnection c, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
