using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using CicdOps.Engine.Fleet;
using Npgsql;

namespace CicdOps.Fleet.Postgres;

/// <summary>
/// The registry in PostgreSQL: one row per node, per (node, project), per (node, deployment), per (node, event).
/// Every write notifies <see cref="Channel"/> in its own transaction (delivered on commit), so watchers
/// (LISTEN) learn of it at once and read the row by its key.
/// </summary>
public sealed partial class PostgresRegistry : IFleetRegistry, IFleetRolloutStore
{
    public const string Channel = "cicdops_fleet";
    private readonly NpgsqlDataSource _source;

    public PostgresRegistry(string connectionString)
    {
        _source = NpgsqlDataSource.Create(connectionString);
    }

    public RegistryBackend Backend => RegistryBackend.PostgreSql;

    /// <summary>How often a watcher re-reads nodes to report ones that turned stale.</summary>
    public TimeSpan StaleCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    public Task InitializeAsync(CancellationToken ct) => Run(async c => { await PostgresSchema.UpgradeAsync(c, ct); return 0; }, ct);

    public Task PublishNodeAsync(FleetNode node, CancellationToken ct) => InTransaction(async (c, tx) =>
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO fleet_nodes (id, name, version, interval_ms, last_seen, cpu_percent, memory_total, memory_available, disk_free, load1)
            VALUES ($1, $2, $3, $4, now(), $5, $6, $7, $8, $9)
            ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version, interval_ms = EXCLUDED.interval_ms,
                last_seen = now(), cpu_percent = EXCLUDED.cpu_percent, memory_total = EXCLUDED.memory_total,
                memory_available = EXCLUDED.memory_available, disk_free = EXCLUDED.disk_free, load1 = EXCLUDED.load1
            """, c, tx);
        cmd.Parameters.Add(new() { Value = node.Id });
        cmd.Parameters.Add(new() { Value = node.Name });
        cmd.Parameters.Add(new() { Value = node.Version });
        cmd.Parameters.Add(new() { Value = (int)node.SyncInterval.TotalMilliseconds });
        cmd.Parameters.Add(new() { Value = (object?)node.Host?.CpuPercent ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        cmd.Parameters.Add(new() { Value = (object?)node.Host?.MemoryTotalBytes ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new() { Value = (object?)node.Host?.MemoryAvailableBytes ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new() { Value = (object?)node.Host?.DataDiskFreeBytes ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new() { Value = (object?)node.Host?.Load1 ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        await cmd.ExecuteNonQueryAsync(ct);
        await Notify(c, tx, new ChangeKey(FleetChangeKind.Node, node.Id, null, null), ct);
    }, ct);

    public Task UpsertProjectsAsync(IReadOnlyList<FleetProject> projects, CancellationToken ct) => projects.Count == 0 ? Task.CompletedTask : InTransaction(async (c, tx) =>
    {
        foreach (var p in projects)
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO fleet_projects (node_id, name, node_name, repository, branch, status, commit_sha, last_good_commit, pinned_commit,
                    health, cpu_percent, memory_bytes, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
                ON CONFLICT (node_id, name) DO UPDATE SET node_name = EXCLUDED.node_name, repository = EXCLUDED.repository,
                    branch = EXCLUDED.branch, status = EXCLUDED.status, commit_sha = EXCLUDED.commit_sha,
                    last_good_commit = EXCLUDED.last_good_commit, pinned_commit = EXCLUDED.pinned_commit, health = EXCLUDED.health,
                    cpu_percent = EXCLUDED.cpu_percent, memory_bytes = EXCLUDED.memory_bytes, updated_at = now()
                RETURNING updated_at
                """, c, tx);
            Add(cmd, p.NodeId, p.Name, p.Node, p.Repository, p.Branch, p.Status.ToString(), p.Commit, p.LastGoodCommit, p.PinnedCommit, p.Health.ToString());
            cmd.Parameters.Add(new() { Value = (object?)p.CpuPercent ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            cmd.Parameters.Add(new() { Value = (object?)p.MemoryBytes ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            var updated = ToOffset((DateTime)(await cmd.ExecuteScalarAsync(ct))!);
            await Notify(c, tx, new ChangeKey(FleetChangeKind.Project, p.NodeId, p.Name, null) { Project = p with { UpdatedAt = updated } }, ct);
        }
    }, ct);

    public Task RemoveProjectsAsync(string nodeId, IReadOnlyList<string> names, CancellationToken ct) => names.Count == 0 ? Task.CompletedTask : InTransaction(async (c, tx) =>
    {
        foreach (var name in names)
        {
            await using var cmd = new NpgsqlCommand("DELETE FROM fleet_projects WHERE node_id = $1 AND name = $2", c, tx);
            Add(cmd, nodeId, name);
            if (await cmd.ExecuteNonQueryAsync(ct) > 0) await Notify(c, tx, new ChangeKey(FleetChangeKind.ProjectRemoved, nodeId, name, null), ct);
        }
    }, ct);

    public Task UpsertDeploymentsAsync(IReadOnlyList<FleetDeployment> deployments, CancellationToken ct) => deployments.Count == 0 ? Task.CompletedTask : InTransaction(async (c, tx) =>
    {
        foreach (var d in deployments)
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO fleet_deployments (node_id, id, node_name, project, commit_sha, trigger, status, reason, queued_at, started_at, finished_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (node_id, id) DO UPDATE SET node_name = EXCLUDED.node_name, project = EXCLUDED.project,
                    commit_sha = EXCLUDED.commit_sha, trigger = EXCLUDED.trigger, status = EXCLUDED.status, reason = EXCLUDED.reason,
                    queued_at = EXCLUDED.queued_at, started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at
                """, c, tx);
            Add(cmd, d.NodeId, d.Id, d.Node, d.Project, d.Commit, d.Trigger.ToString(), d.Status.ToString(), d.Reason,
                d.QueuedAt.ToUniversalTime(), d.StartedAt?.ToUniversalTime(), d.FinishedAt?.ToUniversalTime());
            await cmd.ExecuteNonQueryAsync(ct);
            await Notify(c, tx, new ChangeKey(FleetChangeKind.Deployment, d.NodeId, d.Project, d.Id) { Deployment = d }, ct);
        }
    }, ct);

    public Task AppendEventsAsync(IReadOnlyList<FleetEvent> events, CancellationToken ct) => events.Count == 0 ? Task.CompletedTask : InTransaction(async (c, tx) =>
    {
        foreach (var e in events)
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO fleet_events (node_id, seq, node_name, at, project, kind, message) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (node_id, seq) DO NOTHING
                """, c, tx);
            Add(cmd, e.NodeId, e.Sequence, e.Node, e.At.ToUniversalTime(), e.Project, e.Kind.ToString(), e.Message);
            if (await cmd.ExecuteNonQueryAsync(ct) > 0) await Notify(c, tx, new ChangeKey(FleetChangeKind.Event, e.NodeId, e.Project, e.Sequence) { Event = e }, ct);
        }
    }, ct);

    public Task TrimAsync(string nodeId, int deployments, int events, CancellationToken ct) => InTransaction(async (c, tx) =>
    {
        // Old rows go quietly: watchers are told about what happens, not about history being pruned.
        await using var d = new NpgsqlCommand("""
            DELETE FROM fleet_deployments WHERE node_id = $1 AND id < COALESCE(
                (SELECT id FROM fleet_deployments WHERE node_id = $1 ORDER BY id DESC OFFSET $2 - 1 LIMIT 1), 0)
            """, c, tx);
        Add(d, nodeId, deployments);
        await d.ExecuteNonQueryAsync(ct);
        await using var e = new NpgsqlCommand("""
            DELETE FROM fleet_events WHERE node_id = $1 AND seq < COALESCE(
                (SELECT seq FROM fleet_events WHERE node_id = $1 ORDER BY seq DESC OFFSET $2 - 1 LIMIT 1), 0)
            """, c, tx);
        Add(e, nodeId, events);
        await e.ExecuteNonQueryAsync(ct);
    }, ct);

    public Task RemoveNodeAsync(string nodeId, CancellationToken ct) => InTransaction(async (c, tx) =>
    {
        await using var cmd = new NpgsqlCommand("DELETE FROM fleet_nodes WHERE id = $1", c, tx);
        Add(cmd, nodeId);
        if (await cmd.ExecuteNonQueryAsync(ct) > 0) await Notify(c, tx, new ChangeKey(FleetChangeKind.NodeRemoved, nodeId, null, null), ct);
    }, ct);

    public Task<FleetSnapshot> GetSnapshotAsync(int recent, CancellationToken ct) => Run(async c =>
    {
        DateTimeOffset now;
        await using (var cmd = new NpgsqlCommand("SELECT now()", c)) now = ToOffset((DateTime)(await cmd.ExecuteScalarAsync(ct))!);
        var nodes = await Query(c, NodeSelect + " ORDER BY name, id", ReadNode, ct, Array.Empty<object?>());
        var projects = await Query(c, ProjectSelect + " ORDER BY name, node_name, node_id", PostgresRows.Project, ct, Array.Empty<object?>());
        var deployments = await Query(c, DeploymentSelect + " ORDER BY queued_at DESC, id DESC LIMIT $1", PostgresRows.Deployment, ct, recent);
        var events = await Query(c, EventSelect + " ORDER BY at DESC, seq DESC LIMIT $1", PostgresRows.Event, ct, recent);
        return new FleetSnapshot { Nodes = nodes, Projects = projects, Deployments = deployments, Events = events, TakenAt = now };
    }, ct);

    public async IAsyncEnumerable<FleetChange> WatchAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var keys = System.Threading.Channels.Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true });
        await using var listen = await Open(ct);
        listen.Notification += (_, e) => keys.Writer.TryWrite(e.Payload);
        await using (var cmd = new NpgsqlCommand($"LISTEN {Channel}", listen)) await cmd.ExecuteNonQueryAsync(ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pump = Task.Run(async () =>
        {
            try { while (true) await listen.WaitAsync(stop.Token); }
            // The feed ends with the same error as any other registry call: the watcher decides whether to reconnect.
            catch (Exception e) when (e is not OperationCanceledException) { keys.Writer.TryComplete(e is NpgsqlException ? Unavailable(e) : e); }
            catch (OperationCanceledException) { keys.Writer.TryComplete(); }
        }, CancellationToken.None);
        var ticker = Task.Run(async () =>
        {
            try { while (true) { await Task.Delay(StaleCheckInterval, stop.Token); keys.Writer.TryWrite(null); } }
            catch (OperationCanceledException) { }
        }, CancellationToken.None);
        var states = new Dictionary<string, FleetNodeState>();
        try
        {
            await foreach (var payload in keys.Reader.ReadAllAsync(ct))
            {
                if (payload is null)
                {
                    foreach (var change in await StaleTransitions(states, ct)) yield return change;
                    continue;
                }
                var key = JsonSerializer.Deserialize<ChangeKey>(payload);
                if (key is null) continue;
                var loaded = await Load(key, ct);
                if (loaded is null) continue;
                if (loaded.NodeRecord is { } n) states[n.Id] = n.State;
                if (loaded.Kind == FleetChangeKind.NodeRemoved) states.Remove(loaded.NodeId);
                yield return loaded;
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(pump, ticker);
        }
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    // ------------------------------------------------------------------ change feed

    /// <summary>
    /// A notification: the key, and the record as written when it fits in NOTIFY's 8000-byte payload, so a watcher
    /// sees every write even when the row has changed or gone by the time it reads. Nodes are always read back
    /// (their last-seen time and state come from the server).
    /// </summary>
    internal sealed record ChangeKey(FleetChangeKind K, string N, string? P, long? I)
    {
        public FleetProject? Project { get; init; }
        public FleetDeployment? Deployment { get; init; }
        public FleetEvent? Event { get; init; }
    }

    private const int MaxPayload = 7900;

    private static async Task Notify(NpgsqlConnection c, NpgsqlTransaction tx, ChangeKey key, CancellationToken ct)
    {
        var payload = JsonSerializer.Serialize(key);
        if (System.Text.Encoding.UTF8.GetByteCount(payload) > MaxPayload)
            payload = JsonSerializer.Serialize(key with { Project = null, Deployment = null, Event = null });
        await using var cmd = new NpgsqlCommand("SELECT pg_notify($1, $2)", c, tx);
        Add(cmd, Channel, payload);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<FleetChange?> Load(ChangeKey key, CancellationToken ct)
    {
        var change = new FleetChange { Kind = key.K, NodeId = key.N, Project = key.P };
        if (key.Project is { } p) return change with { ProjectRecord = p };
        if (key.Deployment is { } d) return change with { Deployment = d };
        if (key.Event is { } e) return change with { Event = e };
        return await Read(key, change, ct);
    }

    private Task<FleetChange?> Read(ChangeKey key, FleetChange change, CancellationToken ct) => Run(async c =>
    {
        switch (key.K)
        {
            case FleetChangeKind.Node:
                var node = (await Query(c, NodeSelect + " WHERE id = $1", ReadNode, ct, key.N)).SingleOrDefault();
                return node is null ? null : change with { NodeRecord = node };
            case FleetChangeKind.Project:
                var project = (await Query(c, ProjectSelect + " WHERE node_id = $1 AND name = $2", PostgresRows.Project, ct, key.N, key.P)).SingleOrDefault();
                return project is null ? null : change with { ProjectRecord = project };
            case FleetChangeKind.Deployment:
                var d = (await Query(c, DeploymentSelect + " WHERE node_id = $1 AND id = $2", PostgresRows.Deployment, ct, key.N, key.I)).SingleOrDefault();
                return d is null ? null : change with { Deployment = d };
            case FleetChangeKind.Event:
                var e = (await Query(c, EventSelect + " WHERE node_id = $1 AND seq = $2", PostgresRows.Event, ct, key.N, key.I)).SingleOrDefault();
                return e is null ? null : change with { Event = e };
            default:
                return change;
        }
    }, ct);

    private Task<List<FleetChange>> StaleTransitions(Dictionary<string, FleetNodeState> states, CancellationToken ct) => Run(async c =>
    {
        var changes = new List<FleetChange>();
        foreach (var node in await Query(c, NodeSelect, ReadNode, ct, Array.Empty<object?>()))
        {
            var known = states.TryGetValue(node.Id, out var s) ? s : (FleetNodeState?)null;
            states[node.Id] = node.State;
            // Only turning stale is news here; coming back is reported by the node's own write.
            if (node.State == FleetNodeState.Stale && known is FleetNodeState.Online)
                changes.Add(new FleetChange { Kind = FleetChangeKind.Node, NodeId = node.Id, NodeRecord = node });
        }
        return changes;
    }, ct);

    // ------------------------------------------------------------------ rows

    private const string NodeSelect =
        "SELECT id, name, version, interval_ms, last_seen, cpu_percent, memory_total, memory_available, disk_free, load1, now() FROM fleet_nodes";
    private const string ProjectSelect =
        "SELECT node_id, node_name, name, repository, branch, status, commit_sha, last_good_commit, pinned_commit, health, cpu_percent, memory_bytes, updated_at FROM fleet_projects";
    private const string DeploymentSelect =
        "SELECT node_id, node_name, id, project, commit_sha, trigger, status, reason, queued_at, started_at, finished_at FROM fleet_deployments";
    private const string EventSelect =
        "SELECT node_id, node_name, seq, at, project, kind, message FROM fleet_events";

    private static FleetNode ReadNode(NpgsqlDataReader r)
    {
        var lastSeen = ToOffset(r.GetDateTime(4));
        var interval = TimeSpan.FromMilliseconds(r.GetInt32(3));
        return new FleetNode
        {
            Id = r.GetString(0), Name = r.GetString(1), Version = r.GetString(2), SyncInterval = interval, LastSeen = lastSeen,
            State = FleetNodeStaleness.StateAt(lastSeen, interval, ToOffset(r.GetDateTime(10))),
            Host = r.IsDBNull(6) ? null : new HostStats
            {
                CpuPercent = r.IsDBNull(5) ? null : r.GetDouble(5),
                MemoryTotalBytes = r.GetInt64(6),
                MemoryAvailableBytes = r.IsDBNull(7) ? 0 : r.GetInt64(7),
                DataDiskFreeBytes = r.IsDBNull(8) ? 0 : r.GetInt64(8),
                Load1 = r.IsDBNull(9) ? 0 : r.GetDouble(9),
            },
        };
    }

    internal static DateTimeOffset ToOffset(DateTime utc) => new(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    // ------------------------------------------------------------------ plumbing

    private async Task<NpgsqlConnection> Open(CancellationToken ct)
    {
        try { return await _source.OpenConnectionAsync(ct); }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw Unavailable(e);
        }
    }

    private async Task<T> Run<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        await using var c = await Open(ct);
        try { return await work(c); }
        catch (NpgsqlException e) when (e is not PostgresException p || IsOutage(p.SqlState)) { throw Unavailable(e); }
    }

    private Task InTransaction(Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct) => Run(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(ct);
        await work(c, tx);
        await tx.CommitAsync(ct);
        return 0;
    }, ct);

    // Connection exceptions (08), shutdown or restart of the server (57P0x), too many connections (53300),
    // authentication (28): the registry is not usable now, which the sync loop waits out.
    private static bool IsOutage(string state) =>
        state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P0", StringComparison.Ordinal)
        || state == "53300" || state.StartsWith("28", StringComparison.Ordinal);

    private static CicdException Unavailable(Exception e) =>
        new(CicdError.FleetRegistryUnavailable, $"The fleet registry (PostgreSQL) cannot be reached: {e.Message}", null,
            "Check that the registry server is up and that the URI given to `fleet join` is right.", e);

    private static void Add(NpgsqlCommand cmd, params object?[] values)
    {
        foreach (var v in values) cmd.Parameters.Add(new NpgsqlParameter { Value = v ?? DBNull.Value });
    }

    private static async Task<List<T>> Query<T>(NpgsqlConnection c, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct, params object?[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        Add(cmd, args);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await r.ReadAsync(ct)) list.Add(read(r));
        return list;
    }
}
