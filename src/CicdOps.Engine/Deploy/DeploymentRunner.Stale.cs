using System.Text.Json.Nodes;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// Stale and replayed webhook deliveries: a signed push stays validly signed forever, so replaying it (with a new
/// delivery id) must not put an old commit over a newer one. Only webhook-triggered deployments are judged; a
/// manual deploy or a rollback of an older commit is the operator's explicit choice.
/// </summary>
internal sealed partial class DeploymentRunner
{
    /// <summary>Why deploying <paramref name="sha"/> for this webhook would go backwards; null when it would not.</summary>
    private async Task<string?> StaleDeliveryAsync(string sha, CancellationToken ct)
    {
        if (_d.Trigger != DeploymentTrigger.Webhook) return null;
        var tip = await _checkout.FetchedTipAsync(_p.Branch, ct);
        if (tip is not null && tip != sha)
            return $"commit {Short(sha)} is not the tip of branch {_p.Branch} (the tip is {Short(tip)})";
        var deployed = _db.Read(c => ProjectStore.Get(c, _p.Name)).CurrentCommit;
        if (deployed is null || !await _checkout.IsAncestorAsync(sha, deployed, ct)) return null;
        return deployed == sha
            ? $"commit {Short(sha)} is already deployed"
            : $"commit {Short(sha)} is an ancestor of the deployed {Short(deployed)}";
    }

    /// <summary>
    /// The delivery that queued this deployment shows it too: its entry for this project becomes "stale" with the
    /// reason, and the delivery's outcome becomes "stale" when none of its projects deploys any more.
    /// </summary>
    /// <remarks>
    /// The delivery is found by a read, never inside the write transaction: under sustained load the table holds
    /// millions of rows, and scanning them under the write lock stalled every acknowledgement behind it. The read
    /// only looks at deliveries received around the deployment's queue time (the delivery was recorded in the same
    /// transaction that queued it); the write then re-reads each found row by id.
    /// </remarks>
    private void MarkDeliveryStale(string reason)
    {
        var candidates = _db.Read(c => StaleDeliveryLookup.Find(c, _d.Id, _d.QueuedAt.ToUnixTimeMilliseconds()));
        if (candidates.Count == 0) return;
        Update(c =>
        {
            foreach (var id in candidates)
            {
                string? detail;
                using (var read = c.CreateCommand())
                {
                    read.CommandText = "SELECT detail FROM webhook_deliveries WHERE id = $id AND accepted = 1 AND outcome = 'queued'";
                    read.Parameters.AddWithValue("$id", id);
                    detail = read.ExecuteScalar() as string;
                }
                if (detail is null || JsonNode.Parse(detail) is not JsonArray entries) continue;
                var changed = false;
                foreach (var e in entries.OfType<JsonObject>())
                {
                    if (e["deployment"]?.GetValue<long>() != _d.Id) continue;
                    e["result"] = "stale";
                    e["reason"] = reason;
                    changed = true;
                }
                if (!changed) continue;
                var stillQueued = entries.OfType<JsonObject>().Any(e => (string?)e["result"] == "queued");
                using var update = c.CreateCommand();
                update.CommandText = "UPDATE webhook_deliveries SET detail = $detail, outcome = $o WHERE id = $id";
                update.Parameters.AddWithValue("$detail", entries.ToJsonString());
                update.Parameters.AddWithValue("$o", stillQueued ? "queued" : "stale");
                update.Parameters.AddWithValue("$id", id);
                update.ExecuteNonQuery();
            }
        });
    }
}
