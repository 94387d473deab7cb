using System.Globalization;
using System.Net;
using System.Text;
using CicdOps.Engine;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Api;

/// <summary>
/// GET /api/stream/deployments/ID/log: the deployment's log as Server-Sent Events, one <c>log</c> event per line (its id
/// is the byte offset after the line, so Last-Event-ID resumes exactly), tailing the file while the deployment runs, then
/// one <c>end</c> event with the outcome, and the stream closes. <c>?format=html</c> sends each line as an escaped
/// &lt;div&gt; (what the dashboard's htmx SSE extension inserts); the default is the plain line.
/// </summary>
internal sealed class DeploymentLogStream(CicdEngine engine, ApiOptions options, Action<string> log)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    public async Task ServeAsync(HttpContext context, long id, Caller caller)
    {
        var d = engine.GetDeployment(id); // 404 before the stream starts
        var html = context.Request.Query["format"].ToString() == "html";
        long offset = long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var resume) ? resume : 0;
        var r = context.Response;
        r.StatusCode = 200;
        r.ContentType = "text/event-stream";
        r.Headers.CacheControl = "no-store";
        r.Headers["X-Accel-Buffering"] = "no";
        var ct = context.RequestAborted;
        log($"api log stream opened deployment={id} by={caller.Actor}");
        await Write(r, "retry: 2000\n\n", ct);
        var lastBeat = DateTime.UtcNow;
        while (true)
        {
            // Read the status before the file: a deployment seen finished has written its whole log already.
            var finished = engine.GetDeployment(id) is var now && now.IsFinished;
            var (text, next) = engine.ReadDeploymentLog(id, offset);
            if (text.Length > 0)
            {
                var sb = new StringBuilder();
                var at = offset;
                foreach (var line in text.Split('\n'))
                {
                    if (at >= next) break;
                    at += Encoding.UTF8.GetByteCount(line) + 1;
                    var shown = line.TrimEnd('\r');
                    sb.Append("id: ").Append(at.ToString(CultureInfo.InvariantCulture)).Append("\nevent: log\ndata: ")
                      .Append(html ? "<div class=\"l\">" + WebUtility.HtmlEncode(shown) + "</div>" : shown).Append("\n\n");
                }
                offset = next;
                await Write(r, sb.ToString(), ct);
                lastBeat = DateTime.UtcNow;
            }
            if (finished && text.Length == 0)
            {
                var end = ApiJson.Bytes(new { deploymentId = id, status = now.Status, reason = now.Reason });
                await Write(r, "event: end\ndata: " + (html ? WebUtility.HtmlEncode(Describe(now)) : Encoding.UTF8.GetString(end)) + "\n\n", ct);
                return;
            }
            if (DateTime.UtcNow - lastBeat > options.Heartbeat)
            {
                await Write(r, $": heartbeat {DateTimeOffset.UtcNow:O}\n\n", ct);
                lastBeat = DateTime.UtcNow;
            }
            await Task.Delay(Poll, ct);
        }
    }

    private static string Describe(Deployment d) => $"{d.Status}" + (d.Reason is { } why ? $": {why}" : "");

    private static async Task Write(HttpResponse r, string text, CancellationToken ct)
    {
        await r.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await r.Body.FlushAsync(ct);
    }
}
