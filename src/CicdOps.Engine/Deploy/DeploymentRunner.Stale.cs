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
        var deployed = _ctx.Db.Read(c => ProjectStore.Get(c, _p.Name)).CurrentCommit;
        if (deployed is null || !await _checkout.IsAncestorAsync(sha, deployed, ct)) return null;
        return deployed == sha
            ? $"commit {Short(sha)} is already deployed"
            : $"commit {Short(sha)} is an ancestor of the deployed {Short(deployed)}";
    }

    /// <summary>
    /// The delivery that queued this deployment shows it too: its entry for this project becomes "stale" with the
    /// reason, and the delivery's outcome becomes "stale" when none of its projects deploys any more.
    /// </summary>
    private void MarkDeliveryStale(string reason) => Update(c =>
    {
        var rows = new List<(long Id, string Detail)>();
        using (var find = c.CreateCommand())
        {
            find.CommandText = """
                SELECT id, detail FROM webhook_deliveries
                WHERE accepted = 1 AND outcome = 'queued' AND detail IS NOT NULL AND json_valid(detail)
                  AND EXISTS (SELECT 1 FROM json_each(detail) WHERE json_extract(value, '$.deployment') = $d)
                """;
            find.Parameters.AddWithValue("$d", _d.Id);
            using var r = find.ExecuteReader();
            while (r.Read()) rows.Add((r.GetInt64(0), r.GetString(1)));
        }
        foreach (var (id, detail) in rows)
        {
            if (JsonNode.Parse(detail) is not JsonArray entries) continue;
            foreach (var e in entries.OfType<JsonObject>())
            {
                if (e["deployment"]?.GetValue<long>() != _d.Id) continue;
                e["result"] = "stale";
                e["reason"] = reason;
            }
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
