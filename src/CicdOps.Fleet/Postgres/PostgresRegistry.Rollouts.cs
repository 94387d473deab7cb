using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Npgsql;

namespace CicdOps.Fleet.Postgres;

/// <summary>
/// Fleet actions in PostgreSQL (schema 2): fleet_rollouts and fleet_rollout_targets. A target that becomes Requested
/// notifies <see cref="RequestChannel"/> with its node id in the same transaction, so that node's listener (LISTEN)
/// takes it at once; status moves are conditional UPDATEs, so a node and the driver never both decide a target.
/// </summary>
public sealed partial class PostgresRegistry
{
    public const string RequestChannel = "cicdops_fleet_requests";

    public Task CreateRolloutAsync(FleetRollout rollout, CancellationToken ct) => InTransaction(async (c, tx) =>
    {
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO fleet_rollouts (id, project, action, commit_sha, requested_by, requested_at, waves, wave_size, rollback_on_failure,
                wave_timeout_ms, status, reason, finished_at, driver_node_id, driver_node, driver_pid, driver_start, driver_seen_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
            """, c, tx))
        {
            var d = rollout.Driver;
            Add(cmd, rollout.Id, rollout.Project, rollout.Action.ToString(), rollout.Commit, rollout.RequestedBy, rollout.RequestedAt.ToUniversalTime(),
                rollout.Waves, rollout.WaveSize, rollout.RollbackOnFailure, (long)rollout.WaveTimeout.TotalMilliseconds, rollout.Status.ToString(),
                rollout.Reason, rollout.FinishedAt?.ToUniversalTime(), d?.NodeId, d?.Node, d?.Pid, d?.ProcessStartTime, d?.SeenAt.ToUniversalTime());
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await SaveTargets(c, tx, rollout.Targets, ct);
    }, ct);

    public Task SaveTargetsAsync(IReadOnlyList<FleetRolloutTarget> targets, CancellationToken ct) =>
        targets.Count == 0 ? Task.CompletedTask : InTransaction((c, tx) => SaveTargets(c, tx, targets, ct), ct);

    private static async Task SaveTargets(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<FleetRolloutTarget> targets, CancellationToken ct)
    {
        foreach (var t in targets)
        {
            // A target the node already finished keeps the node's report (the driver's view may be older).
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO fleet_rollout_targets (rollout_id, node_id, kind, node_name, project, action, commit_sha, wave, status,
                    previous_commit, result_commit, deployment_id, reason, requested_at, started_at, finished_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                ON CONFLICT (rollout_id, node_id, kind) DO UPDATE SET node_name = EXCLUDED.node_name, commit_sha = EXCLUDED.commit_sha,
                    wave = EXCLUDED.wave, status = EXCLUDED.status, reason = EXCLUDED.reason, requested_at = EXCLUDED.requested_at,
                    finished_at = EXCLUDED.finished_at
                WHERE fleet_rollout_targets.status NOT IN ('Succeeded', 'Failed')
                RETURNING status
                """, c, tx);
            Add(cmd, t.RolloutId, t.NodeId, t.Kind.ToString(), t.Node, t.Project, t.Action.ToString(), t.Commit, t.Wave, t.Status.ToString(),
                t.PreviousCommit, t.ResultCommit, t.DeploymentId, t.Reason, t.RequestedAt?.ToUniversalTime(), t.StartedAt?.ToUniversalTime(),
                t.FinishedAt?.ToUniversalTime());
            var written = await cmd.ExecuteScalarAsync(ct) as string;
            if (written == nameof(FleetTargetStatus.Requested))
            {
                await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", c, tx);
                Add(notify, RequestChannel, t.NodeId);
                await notify.ExecuteNonQueryAsync(ct);
            }
        }
    }

    public Task FinishRolloutAsync(string rolloutId, FleetRolloutStatus status, string? reason, CancellationToken ct) => Run(async c =>
    {
        await using var cmd = new NpgsqlCommand("UPDATE fleet_rollouts SET status = $2, reason = $3, finished_at = now() WHERE id = $1 AND status = 'Running'", c);
        Add(cmd, rolloutId, status.ToString(), reason);
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);

    public Task TouchDriverAsync(string rolloutId, DateTimeOffset seenAt, CancellationToken ct) => Run(async c =>
    {
        await using var cmd = new NpgsqlCommand("UPDATE fleet_rollouts SET driver_seen_at = $2 WHERE id = $1 AND status = 'Running'", c);
        Add(cmd, rolloutId, seenAt.ToUniversalTime());
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);

    public Task<bool> AbandonRolloutAsync(string rolloutId, string reason, CancellationToken ct) => Run(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("UPDATE fleet_rollouts SET status = 'Abandoned', reason = $2, finished_at = now() WHERE id = $1 AND status = 'Running'", c, tx))
        {
            Add(cmd, rolloutId, reason);
            if (await cmd.ExecuteNonQueryAsync(ct) != 1) return false;
        }
        await using (var skip = new NpgsqlCommand("""
            UPDATE fleet_rollout_targets SET status = 'Skipped', reason = 'not asked: the rollout was abandoned', finished_at = now()
            WHERE rollout_id = $1 AND status IN ('Waiting', 'Requested')
            """, c, tx))
        {
            Add(skip, rolloutId);
            await skip.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return true;
    }, ct);

    public async Task<IReadOnlyList<FleetRollout>> RunningRolloutsAsync(CancellationToken ct) =>
        await Rollouts(" WHERE status = 'Running' ORDER BY requested_at, id", ct);

    public Task<IReadOnlyList<FleetRolloutTarget>> PendingRequestsAsync(string nodeId, CancellationToken ct) => Run(async c =>
        (IReadOnlyList<FleetRolloutTarget>)await Query(c, TargetSelect + " WHERE node_id = $1 AND status = 'Requested' ORDER BY requested_at, rollout_id, kind",
            ReadTarget, ct, nodeId), ct);

    public Task<bool> ClaimAsync(FleetRolloutTarget t, string? previousCommit, CancellationToken ct) => Run(async c =>
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE fleet_rollout_targets SET status = 'Running', started_at = now(), previous_commit = $4
            WHERE rollout_id = $1 AND node_id = $2 AND kind = $3 AND status = 'Requested'
            """, c);
        Add(cmd, t.RolloutId, t.NodeId, t.Kind.ToString(), previousCommit);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, ct);

    public Task<bool> ReportAsync(FleetRolloutTarget t, CancellationToken ct) => Run(async c =>
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE fleet_rollout_targets SET status = $4, result_commit = $5, deployment_id = $6, reason = $7, finished_at = now()
            WHERE rollout_id = $1 AND node_id = $2 AND kind = $3 AND status = 'Running'
            """, c);
        Add(cmd, t.RolloutId, t.NodeId, t.Kind.ToString(), t.Status.ToString(), t.ResultCommit, t.DeploymentId, t.Reason);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, ct);

    public async Task<FleetRollout?> GetRolloutAsync(string rolloutId, CancellationToken ct) =>
        (await Rollouts(" WHERE id = $1", ct, rolloutId)).SingleOrDefault();

    public async Task<IReadOnlyList<FleetRollout>> GetRolloutsAsync(string? project, int limit, CancellationToken ct) =>
        project is null ? await Rollouts(" ORDER BY requested_at DESC, id LIMIT $1", ct, limit)
            : await Rollouts(" WHERE project = $2 ORDER BY requested_at DESC, id LIMIT $1", ct, limit, project);

    private Task<List<FleetRollout>> Rollouts(string where, CancellationToken ct, params object?[] args) => Run(async c =>
    {
        var rollouts = await Query(c, RolloutSelect + where, ReadRollout, ct, args);
        if (rollouts.Count == 0) return rollouts;
        var targets = await Query(c, TargetSelect + " WHERE rollout_id = ANY($1)", ReadTarget, ct, new object?[] { rollouts.Select(r => r.Id).ToArray() });
        return rollouts.Select(r => r with { Targets = FleetRolloutOrder.Sort(targets.Where(t => t.RolloutId == r.Id)) }).ToList();
    }, ct);

    public async IAsyncEnumerable<bool> WatchRequestsAsync(string nodeId, [EnumeratorCancellation] CancellationToken ct)
    {
        var signals = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        await using var listen = await Open(ct);
        listen.Notification += (_, e) => { if (e.Payload == nodeId) signals.Writer.TryWrite(true); };
        await using (var cmd = new NpgsqlCommand($"LISTEN {RequestChannel}", listen)) await cmd.ExecuteNonQueryAsync(ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pump = Task.Run(async () =>
        {
            try { while (true) await listen.WaitAsync(stop.Token); }
            catch (Exception e) when (e is not OperationCanceledException) { signals.Writer.TryComplete(e is NpgsqlException ? Unavailable(e) : e); }
            catch (OperationCanceledException) { signals.Writer.TryComplete(); }
        }, CancellationToken.None);
        try
        {
            // Listening from here on: one signal first, so the caller reads what was requested before.
            yield return true;
            await foreach (var s in signals.Reader.ReadAllAsync(ct)) yield return s;
        }
        finally
        {
            stop.Cancel();
            await pump;
        }
    }

    private const string RolloutSelect =
        "SELECT id, project, action, commit_sha, requested_by, requested_at, waves, wave_size, rollback_on_failure, wave_timeout_ms, status, reason, finished_at, "
        + "driver_node_id, driver_node, driver_pid, driver_start, driver_seen_at FROM fleet_rollouts";
    private const string TargetSelect =
        "SELECT rollout_id, node_id, kind, node_name, project, action, commit_sha, wave, status, previous_commit, result_commit, deployment_id, reason, "
        + "requested_at, started_at, finished_at FROM fleet_rollout_targets";

    private static FleetRollout ReadRollout(NpgsqlDataReader r) => new()
    {
        Id = r.GetString(0), Project = r.GetString(1), Action = Enum.Parse<FleetAction>(r.GetString(2)), Commit = Text(r, 3),
        RequestedBy = r.GetString(4), RequestedAt = ToOffset(r.GetDateTime(5)), Waves = r.GetBoolean(6), WaveSize = r.GetInt32(7),
        RollbackOnFailure = r.GetBoolean(8), WaveTimeout = TimeSpan.FromMilliseconds(r.GetInt64(9)),
        Status = Enum.Parse<FleetRolloutStatus>(r.GetString(10)), Reason = Text(r, 11), FinishedAt = Time(r, 12),
        Driver = r.IsDBNull(13) ? null : new FleetDriverProcess
        {
            NodeId = r.GetString(13), Node = r.GetString(14), Pid = r.GetInt32(15), ProcessStartTime = r.GetInt64(16), SeenAt = ToOffset(r.GetDateTime(17)),
        },
    };

    private static FleetRolloutTarget ReadTarget(NpgsqlDataReader r) => new()
    {
        RolloutId = r.GetString(0), NodeId = r.GetString(1), Kind = Enum.Parse<FleetTargetKind>(r.GetString(2)), Node = r.GetString(3),
        Project = r.GetString(4), Action = Enum.Parse<FleetAction>(r.GetString(5)), Commit = Text(r, 6), Wave = r.GetInt32(7),
        Status = Enum.Parse<FleetTargetStatus>(r.GetString(8)), PreviousCommit = Text(r, 9), ResultCommit = Text(r, 10),
        DeploymentId = r.IsDBNull(11) ? null : r.GetInt64(11), Reason = Text(r, 12),
        RequestedAt = Time(r, 13), StartedAt = Time(r, 14), FinishedAt = Time(r, 15),
    };

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : ToOffset(r.GetDateTime(i));
}
