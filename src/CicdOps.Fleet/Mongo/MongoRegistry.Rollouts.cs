using System.Runtime.CompilerServices;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CicdOps.Fleet.Mongo;

/// <summary>
/// Fleet actions in MongoDB: collections rollouts and rolloutTargets. Nodes learn of requests through a change stream on
/// rolloutTargets where the server has one, and by polling otherwise (the node's loop also reads pending requests on a timer).
/// </summary>
public sealed partial class MongoRegistry
{
    private IMongoCollection<RolloutDocument> RolloutDocs => _db.GetCollection<RolloutDocument>("rollouts");
    private IMongoCollection<RolloutTargetDocument> TargetDocs => _db.GetCollection<RolloutTargetDocument>("rolloutTargets");

    private Task InitializeRolloutsAsync(CancellationToken ct) => Guard(async () =>
    {
        await RolloutDocs.Indexes.CreateManyAsync(MongoRolloutQueries.RolloutIndexes(), ct);
        await TargetDocs.Indexes.CreateManyAsync(MongoRolloutQueries.TargetIndexes(), ct);
    });

    public Task CreateRolloutAsync(FleetRollout rollout, CancellationToken ct) => Guard(async () =>
    {
        await RolloutDocs.InsertOneAsync(MongoRolloutMapping.ToDocument(rollout), cancellationToken: ct);
        if (rollout.Targets.Count > 0) await TargetDocs.InsertManyAsync(rollout.Targets.Select(MongoRolloutMapping.ToDocument), cancellationToken: ct);
    });

    public Task SaveTargetsAsync(IReadOnlyList<FleetRolloutTarget> targets, CancellationToken ct) => targets.Count == 0 ? Task.CompletedTask : Guard(async () =>
    {
        foreach (var t in targets)
        {
            try { await TargetDocs.UpdateOneAsync(MongoRolloutQueries.Unfinished(t), MongoRolloutQueries.Save(t), Upsert, ct); }
            // The upsert met the finished target (same _id, filtered out by its status): the node's report stands.
            catch (MongoWriteException e) when (e.WriteError?.Category == ServerErrorCategory.DuplicateKey) { }
        }
    });

    public Task FinishRolloutAsync(string rolloutId, FleetRolloutStatus status, string? reason, CancellationToken ct) =>
        Guard(() => RolloutDocs.UpdateOneAsync(MongoRolloutQueries.Running(rolloutId), MongoRolloutQueries.Finish(status, reason), cancellationToken: ct));

    public Task TouchDriverAsync(string rolloutId, DateTimeOffset seenAt, CancellationToken ct) =>
        Guard(() => RolloutDocs.UpdateOneAsync(MongoRolloutQueries.Running(rolloutId), MongoRolloutQueries.Touch(seenAt), cancellationToken: ct));

    /// <summary>The rollout first (conditional on Running: one reader wins), then its unasked targets.</summary>
    public Task<bool> AbandonRolloutAsync(string rolloutId, string reason, CancellationToken ct) => Guard(async () =>
    {
        var ended = await RolloutDocs.UpdateOneAsync(MongoRolloutQueries.Running(rolloutId),
            MongoRolloutQueries.Finish(FleetRolloutStatus.Abandoned, reason), cancellationToken: ct);
        if (ended.ModifiedCount != 1) return false;
        await TargetDocs.UpdateManyAsync(MongoRolloutQueries.Unasked(rolloutId), MongoRolloutQueries.SkipAbandoned(), cancellationToken: ct);
        return true;
    });

    public async Task<IReadOnlyList<FleetRollout>> RunningRolloutsAsync(CancellationToken ct) =>
        await RolloutsAsync(RolloutDocs.Find(MongoRolloutQueries.Running()).SortBy(d => d.RequestedAt), ct);

    public Task<IReadOnlyList<FleetRolloutTarget>> PendingRequestsAsync(string nodeId, CancellationToken ct) => Guard(async () =>
        (IReadOnlyList<FleetRolloutTarget>)(await TargetDocs.Find(MongoRolloutQueries.Pending(nodeId)).SortBy(d => d.RequestedAt).ToListAsync(ct))
            .Select(MongoRolloutMapping.ToRecord).ToList());

    public Task<bool> ClaimAsync(FleetRolloutTarget t, string? previousCommit, CancellationToken ct) => Guard(async () =>
        (await TargetDocs.UpdateOneAsync(MongoRolloutQueries.InStatus(t, FleetTargetStatus.Requested), MongoRolloutQueries.Claim(previousCommit), cancellationToken: ct))
            .ModifiedCount == 1);

    public Task<bool> ReportAsync(FleetRolloutTarget t, CancellationToken ct) => Guard(async () =>
        (await TargetDocs.UpdateOneAsync(MongoRolloutQueries.InStatus(t, FleetTargetStatus.Running), MongoRolloutQueries.Report(t), cancellationToken: ct))
            .ModifiedCount == 1);

    public async Task<FleetRollout?> GetRolloutAsync(string rolloutId, CancellationToken ct) =>
        (await RolloutsAsync(RolloutDocs.Find(MongoRolloutQueries.Rollout(rolloutId)), ct)).SingleOrDefault();

    public async Task<IReadOnlyList<FleetRollout>> GetRolloutsAsync(string? project, int limit, CancellationToken ct) =>
        await RolloutsAsync(RolloutDocs.Find(MongoRolloutQueries.RolloutsOf(project)).SortByDescending(d => d.RequestedAt).Limit(Math.Max(1, limit)), ct);

    private Task<List<FleetRollout>> RolloutsAsync(IFindFluent<RolloutDocument, RolloutDocument> find, CancellationToken ct) => Guard(async () =>
    {
        var docs = await find.ToListAsync(ct);
        if (docs.Count == 0) return new List<FleetRollout>();
        var targets = await TargetDocs.Find(MongoRolloutQueries.TargetsOf(docs.Select(d => d.Id))).ToListAsync(ct);
        return docs.Select(d => MongoRolloutMapping.ToRecord(d, targets.Where(t => t.RolloutId == d.Id))).ToList();
    });

    public async IAsyncEnumerable<bool> WatchRequestsAsync(string nodeId, [EnumeratorCancellation] CancellationToken ct)
    {
        IChangeStreamCursor<ChangeStreamDocument<RolloutTargetDocument>>? cursor = null;
        try { cursor = await TargetDocs.WatchAsync(new ChangeStreamOptions { FullDocument = ChangeStreamFullDocumentOption.UpdateLookup }, ct); }
        catch (MongoCommandException e) when (e.Code is 40573 or 40324 or 136) { }
        yield return true;
        if (cursor is null)
        {
            // No change streams (a standalone mongod): poll.
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(PollInterval, ct);
                yield return true;
            }
            yield break;
        }
        using (cursor)
        {
            while (await cursor.MoveNextAsync(ct))
                if (cursor.Current.Any(c => c.FullDocument is { } d && d.NodeId == nodeId && d.Status == FleetTargetStatus.Requested))
                    yield return true;
        }
    }
}
