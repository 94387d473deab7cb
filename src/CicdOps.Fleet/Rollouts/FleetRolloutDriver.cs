using CicdOps.Engine.Fleet;
using System.Security.Cryptography;
using CicdOps.Engine.Validation;

namespace CicdOps.Fleet.Rollouts;

/// <summary>
/// Drives a rollout from the session that asked for it: finds the nodes that host the project, records the rollout,
/// asks one wave at a time and waits until each of its nodes reports (or the wave times out), stops at the first failed
/// wave, and with rollback-on-failure asks the nodes already done to put back what they served before. Every step is
/// written to the registry, so `fleet rollouts` anywhere shows it. The nodes do the work; this only reads and writes
/// the registry. Without a commit, the waves after the canary deploy the commit the canary ended on.
/// </summary>
public sealed class FleetRolloutDriver
{
    private readonly IFleetRegistry _registry;
    private readonly IFleetRolloutStore _store;
    private readonly Action<FleetRolloutTarget>? _progress;

    public FleetRolloutDriver(IFleetRegistry registry, Action<FleetRolloutTarget>? progress = null)
    {
        _registry = registry;
        _store = registry as IFleetRolloutStore
            ?? throw new CicdException(CicdError.InvalidArgument, "This registry does not support fleet actions.", null);
        _progress = progress;
    }

    /// <summary>How often the driver reads its rollout back while a wave runs.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The node this driver runs on. When set, the rollout records this process as its driver and a heartbeat, so that
    /// if the process dies the next reader ends the rollout as Abandoned (<see cref="AbandonedRollouts"/>).
    /// </summary>
    public NodeIdentity? Node { get; init; }

    public TimeSpan HeartbeatInterval { get; init; } = AbandonedRollouts.HeartbeatInterval;

    /// <summary>Checks the request (one-line errors, nothing written), in the caller's words for the options.</summary>
    public static void Validate(FleetRolloutRequest r, Func<string, string> option)
    {
        Names.ProjectName(r.Project);
        if (r.Commit is not null) Names.Commit(r.Commit);
        if (r.WaveSize is < 1 or > 100)
            throw new CicdException(CicdError.InvalidArgument, $"{option("WaveSize")} must be between 1 and 100 (percent of the nodes per wave; got {r.WaveSize}).", null);
        if (r.WaveTimeout < TimeSpan.FromSeconds(1) || r.WaveTimeout > TimeSpan.FromDays(1))
            throw new CicdException(CicdError.InvalidArgument, $"{option("WaveTimeout")} must be between 1 and 86400 seconds.", null);
        if (r.RollbackOnFailure && r.Action is FleetAction.Pin or FleetAction.Unpin)
            throw new CicdException(CicdError.InvalidArgument, $"{option("RollbackOnFailure")} applies to deploy and rollback only.", null);
        if (r.Commit is not null && r.Action == FleetAction.Unpin)
            throw new CicdException(CicdError.InvalidArgument, $"Unpin takes no {option("Commit")}.", null);
    }

    public async Task<FleetRollout> RunAsync(FleetRolloutRequest request, CancellationToken ct)
    {
        Validate(request, o => o);
        await _registry.InitializeAsync(ct);
        var snapshot = await _registry.GetSnapshotAsync(0, ct);
        var hosts = snapshot.Projects.Where(p => p.Name == request.Project)
            .OrderBy(p => p.Node, StringComparer.Ordinal).ThenBy(p => p.NodeId, StringComparer.Ordinal).ToList();
        if (hosts.Count == 0)
            throw new CicdException(CicdError.FleetProjectNotFound, $"No node of the fleet hosts a project named '{request.Project}'.", request.Project,
                "`cicdops fleet status` lists the fleet's projects.");
        // Rollouts of drivers that died end now, not when someone happens to list them.
        await AbandonedRollouts.EndAsync(_store, Node?.Id, ct);
        var waves = FleetRolloutPlan.Waves(hosts.Count, request.Waves, request.WaveSize);
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        var rollout = new FleetRollout
        {
            Id = id, Project = request.Project, Action = request.Action, Commit = request.Commit?.ToLowerInvariant(), RequestedBy = request.RequestedBy,
            RequestedAt = DateTimeOffset.UtcNow, Waves = request.Waves, WaveSize = request.WaveSize, RollbackOnFailure = request.RollbackOnFailure,
            WaveTimeout = request.WaveTimeout, Status = FleetRolloutStatus.Running, Driver = Node is { } node ? AbandonedRollouts.Self(node) : null,
            Targets = hosts.Select((p, i) => new FleetRolloutTarget
            {
                RolloutId = id, NodeId = p.NodeId, Node = p.Node, Project = p.Name, Kind = FleetTargetKind.Action, Action = request.Action,
                Commit = request.Commit?.ToLowerInvariant(), Wave = waves[i], Status = FleetTargetStatus.Waiting,
            }).ToList(),
        };
        await _store.CreateRolloutAsync(rollout, ct);
        using var stopBeating = new CancellationTokenSource();
        var heartbeat = rollout.Driver is null ? Task.CompletedTask : Task.Run(() => BeatAsync(id, stopBeating.Token), CancellationToken.None);
        try
        {
            return await DriveAsync(rollout, ct);
        }
        catch (RolloutEndedElsewhere e)
        {
            return e.Rollout; // abandoned by a reader that took this driver for gone (silent past the bound): as recorded
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            var current = await _store.GetRolloutAsync(id, CancellationToken.None) ?? rollout;
            await _store.SaveTargetsAsync(current.Targets.Where(t => t.Status is FleetTargetStatus.Waiting or FleetTargetStatus.Requested)
                .Select(t => t with { Status = FleetTargetStatus.Skipped, Reason = "the rollout was cancelled", FinishedAt = DateTimeOffset.UtcNow }).ToList(), CancellationToken.None);
            await _store.FinishRolloutAsync(id, FleetRolloutStatus.Cancelled, "cancelled by the session driving it", CancellationToken.None);
            throw;
        }
        finally
        {
            stopBeating.Cancel();
            await heartbeat;
        }
    }

    /// <summary>Writes the driver's heartbeat until stopped; a registry outage skips beats (the next one tries again).</summary>
    private async Task BeatAsync(string id, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(HeartbeatInterval, stop);
                await _store.TouchDriverAsync(id, DateTimeOffset.UtcNow, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            // Never ends the rollout: a beat that cannot be written is skipped (the waves' own reads report an outage).
            catch (Exception) { }
        }
    }

    /// <summary>The rollout was ended by someone else (abandoned) while this driver still ran: it stops driving.</summary>
    private sealed class RolloutEndedElsewhere(FleetRollout rollout) : Exception
    {
        public FleetRollout Rollout { get; } = rollout;
    }

    private async Task<FleetRollout> DriveAsync(FleetRollout rollout, CancellationToken ct)
    {
        var count = rollout.WaveCount;
        string? commit = rollout.Commit;
        for (var wave = 1; wave <= count; wave++)
        {
            var asked = rollout.Targets.Where(t => t.Kind == FleetTargetKind.Action && t.Wave == wave)
                .Select(t => t with { Status = FleetTargetStatus.Requested, Commit = commit, RequestedAt = DateTimeOffset.UtcNow }).ToList();
            var done = await RunWaveAsync(rollout, asked, ct);
            var failed = done.FirstOrDefault(t => t.Status != FleetTargetStatus.Succeeded);
            if (failed is null)
            {
                // Later waves deploy what the canary deployed, so a push during the rollout does not split the fleet.
                if (wave == 1 && rollout.Action == FleetAction.Deploy && commit is null) commit = done[0].ResultCommit;
                continue;
            }
            var reason = $"wave {wave} of {count} failed: {failed.Node}: {failed.Status}" + (failed.Reason is { } r ? $" ({r})" : "");
            var current = (await _store.GetRolloutAsync(rollout.Id, ct))!;
            await _store.SaveTargetsAsync(current.Targets.Where(t => t.Status == FleetTargetStatus.Waiting)
                .Select(t => t with { Status = FleetTargetStatus.Skipped, Reason = $"not asked: wave {wave} failed", FinishedAt = DateTimeOffset.UtcNow }).ToList(), ct);
            var status = FleetRolloutStatus.Failed;
            if (rollout.RollbackOnFailure)
            {
                // Every node that took the rollout and now serves something else than before goes back.
                var reverts = current.Targets.Where(t => t.Kind == FleetTargetKind.Action && t.PreviousCommit is not null
                        && t.StartedAt is not null
                        && (t.Status == FleetTargetStatus.TimedOut || (t.Status is FleetTargetStatus.Succeeded or FleetTargetStatus.Failed && t.ResultCommit != t.PreviousCommit)))
                    .Select(t => t with
                    {
                        Kind = FleetTargetKind.Revert, Action = FleetAction.Rollback, Commit = t.PreviousCommit, Status = FleetTargetStatus.Requested,
                        RequestedAt = DateTimeOffset.UtcNow, ResultCommit = null, DeploymentId = null, Reason = null, StartedAt = null, FinishedAt = null,
                    })
                    .ToList();
                var reverted = await RunWaveAsync(rollout, reverts, ct);
                var notBack = reverted.FirstOrDefault(t => t.Status != FleetTargetStatus.Succeeded);
                if (notBack is null) status = FleetRolloutStatus.RolledBack;
                else reason += $"; rolling back failed on {notBack.Node}: {notBack.Status}" + (notBack.Reason is { } nr ? $" ({nr})" : "");
            }
            await _store.FinishRolloutAsync(rollout.Id, status, reason, ct);
            return (await _store.GetRolloutAsync(rollout.Id, ct))!;
        }
        await _store.FinishRolloutAsync(rollout.Id, FleetRolloutStatus.Succeeded, null, ct);
        return (await _store.GetRolloutAsync(rollout.Id, ct))!;
    }

    /// <summary>Asks the targets and waits until each has finished or the wave's timeout passed (those become TimedOut).</summary>
    private async Task<IReadOnlyList<FleetRolloutTarget>> RunWaveAsync(FleetRollout rollout, IReadOnlyList<FleetRolloutTarget> asked, CancellationToken ct)
    {
        if (asked.Count == 0) return asked;
        await _store.SaveTargetsAsync(asked, ct);
        foreach (var t in asked) _progress?.Invoke(t);
        var keys = asked.Select(Key).ToHashSet();
        var seen = asked.ToDictionary(Key, t => t.Status);
        var deadline = DateTime.UtcNow + rollout.WaveTimeout;
        while (true)
        {
            var current = (await _store.GetRolloutAsync(rollout.Id, ct))!;
            if (current.Status != FleetRolloutStatus.Running) throw new RolloutEndedElsewhere(current);
            var now = current.Targets.Where(t => keys.Contains(Key(t))).ToList();
            foreach (var t in now.Where(t => seen[Key(t)] != t.Status))
            {
                seen[Key(t)] = t.Status;
                _progress?.Invoke(t);
            }
            if (now.All(t => t.IsFinished)) return now;
            if (DateTime.UtcNow >= deadline)
            {
                var nodes = (await _registry.GetSnapshotAsync(0, ct)).Nodes.ToDictionary(n => n.Id);
                var late = now.Where(t => !t.IsFinished).Select(t => t with
                {
                    Status = FleetTargetStatus.TimedOut, FinishedAt = DateTimeOffset.UtcNow,
                    Reason = $"no outcome within {rollout.WaveTimeout.TotalSeconds:0.#} s: " + (t.Status == FleetTargetStatus.Requested
                        ? "the node never took the request" + (nodes.TryGetValue(t.NodeId, out var n)
                            ? $" (node {n.State}, last seen {n.LastSeen:u})" : " (the node has left the fleet)")
                        : "the node took it and is still running it"),
                }).ToList();
                await _store.SaveTargetsAsync(late, ct);
                continue; // read back: a node may have finished just before (its report stands)
            }
            await Task.Delay(PollInterval, ct);
        }
    }

    private static string Key(FleetRolloutTarget t) => $"{t.NodeId}/{t.Kind}";
}
