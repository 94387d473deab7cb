using System.Diagnostics;
using System.Security.Cryptography;
using CicdOps.Engine.Model;
using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine.Listener;

/// <summary>
/// Turns one HTTP request into at most one deployment per matching project. Answers 202 only once the
/// delivery is recorded and its deployments queued; never waits for a deployment to run.
/// </summary>
internal sealed class WebhookRequestHandler
{
    private const string Json = "application/json";
    private readonly ListenerOptions _options;
    private readonly IDeployTarget _target;
    private readonly WebhookDeliveryStore _store;
    private readonly ListenerLog _log;
    private readonly DeliveryAuthenticator _authenticator;
    private readonly ProjectMatcher _matcher = new();

    public WebhookRequestHandler(ListenerOptions options, IDeployTarget target, WebhookDeliveryStore store, ListenerLog log)
    {
        _options = options;
        _target = target;
        _store = store;
        _log = log;
        _authenticator = new DeliveryAuthenticator(options);
    }

    /// <summary>Handles the exchange completely; never throws (a request must not stop the listener).</summary>
    public async Task HandleAsync(IHttpExchange ex, CancellationToken stopping)
    {
        var started = Stopwatch.GetTimestamp();
        var fields = new LogFields();
        WebhookReply? reply;
        try
        {
            reply = await RouteAsync(ex, fields, stopping).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            fields.Error = e.GetType().Name + ": " + e.Message;
            reply = new WebhookReply(500, "error", "internal error; see the listener log");
        }

        try
        {
            // Null: the exchange was already answered (a timed-out body gets its 408 from the reader).
            if (reply is not null) await ex.RespondAsync(reply.StatusCode, Json, reply.ToJson(), reply.Close).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            fields.Error ??= "response failed: " + e.GetType().Name;
            ex.Abort();
        }

        // Time to the response, not including the outcome write that follows it.
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (fields.Completing is { } completing)
        {
            // A failed outcome update leaves the claim "received"; it goes stale and a redelivery retakes it.
            try { await completing.ConfigureAwait(false); }
            catch (Exception e) { fields.Error ??= "recording outcome failed: " + e.GetType().Name; }
        }
        if (fields.Quiet && reply?.StatusCode == 200) return;
        _log.Write($"webhook status={(reply is null ? "408" : reply.StatusCode)} outcome={ListenerLog.Clean(reply?.Outcome ?? fields.Outcome)} " +
                   $"method={ListenerLog.Clean(ex.Method)} path={ListenerLog.Clean(ex.Path)} provider={fields.Provider ?? "-"} event={ListenerLog.Clean(fields.Event)} " +
                   $"delivery={ListenerLog.Clean(fields.Delivery)} repo={ListenerLog.Clean(fields.Repository)} ref={ListenerLog.Clean(fields.Ref)} " +
                   $"commit={ListenerLog.Clean(fields.Commit)} projects={ListenerLog.Clean(fields.Projects)} reason={ListenerLog.Clean(fields.Reason ?? reply?.Reason)} " +
                   $"error={ListenerLog.Clean(fields.Error)} ms={ms:0.0}");
    }

    private async Task<WebhookReply?> RouteAsync(IHttpExchange ex, LogFields fields, CancellationToken stopping)
    {
        var path = ex.Path.TrimEnd('/');
        if (path is "/healthz")
        {
            fields.Quiet = true;
            return ex.Method == "GET" ? new WebhookReply(200, "ok") : new WebhookReply(405, "rejected", "use GET");
        }
        if (path is not ("" or "/webhook")) return new WebhookReply(404, "rejected", "not found; deliveries go to POST /webhook");
        if (ex.Method != "POST") return new WebhookReply(405, "rejected", "use POST");
        return await HandleDeliveryAsync(ex, fields, stopping).ConfigureAwait(false);
    }

    private async Task<WebhookReply?> HandleDeliveryAsync(IHttpExchange ex, LogFields f, CancellationToken stopping)
    {
        var headers = WebhookHeaderReader.Read(ex.Header, out var headerError);
        if (headers is null) return new WebhookReply(400, "rejected", headerError, Close: true);
        f.Provider = headers.Provider.ToName();
        f.Event = headers.Event;
        f.Delivery = headers.DeliveryId;

        var (status, body) = await BodyReader.ReadAsync(ex, _options.MaxBodyBytes, _options.BodyTimeout, stopping).ConfigureAwait(false);
        var start = new WebhookDeliveryStart
        {
            Provider = headers.Provider.ToName(),
            DeliveryId = headers.DeliveryId ?? "-",
            Event = headers.Event,
            Signature = "unchecked",
        };
        if (status == BodyReadStatus.TimedOut)
        {
            (f.Outcome, f.Reason) = ("timeout", "body not received in time");
            await _store.RecordRejectedAsync(start, "rejected", 408, f.Reason).ConfigureAwait(false);
            return null;
        }
        if (status == BodyReadStatus.TooLarge)
        {
            var reason = $"body larger than {_options.MaxBodyBytes} bytes";
            await _store.RecordRejectedAsync(start, "rejected", 413, reason).ConfigureAwait(false);
            return new WebhookReply(413, "rejected", reason, Close: true);
        }

        // Hosts that send no delivery id still get duplicate detection: the same body is the same event.
        start = start with { DeliveryId = headers.DeliveryId ?? "sha256:" + Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant() };
        f.Delivery = start.DeliveryId;

        var payload = WebhookPayloadParser.Parse(headers, ex.ContentType, body, out var parseError);
        if (payload is null)
        {
            await _store.RecordRejectedAsync(start, "rejected", 400, parseError).ConfigureAwait(false);
            return new WebhookReply(400, "rejected", parseError, start.DeliveryId);
        }

        var keys = payload.RepositoryKeys;
        var matched = _matcher.Matching(_target.GetProjects(), keys);
        var auth = _authenticator.Authenticate(headers, body, matched);
        var primary = PrimaryUpdate(payload, matched);
        start = start with
        {
            Repository = keys.FirstOrDefault(),
            Ref = primary?.Ref,
            Commit = primary?.After,
            Signature = auth.Signature.ToString().ToLowerInvariant(),
        };
        (f.Repository, f.Ref, f.Commit) = (start.Repository, start.Ref, start.Commit);

        if (!auth.Accepted)
        {
            // Generic on purpose: never say what was expected.
            await _store.RecordRejectedAsync(start, "rejected", 401, "signature " + start.Signature).ConfigureAwait(false);
            f.Reason = "signature " + start.Signature;
            return new WebhookReply(401, "rejected", "signature verification failed");
        }

        var claim = await _store.TryClaimAsync(start).ConfigureAwait(false);
        if (!claim.Claimed) return new WebhookReply(200, "duplicate", "delivery already received", start.DeliveryId);

        try
        {
            if (headers.IsPing)
            {
                f.Completing = _store.CompleteAsync(claim.RecordId, "pong", 200, null);
                return new WebhookReply(200, "pong", null, start.DeliveryId);
            }
            if (!headers.IsPush)
            {
                f.Completing = _store.CompleteAsync(claim.RecordId, "ignored", 200, "event not handled");
                return new WebhookReply(200, "ignored", "event not handled", start.DeliveryId);
            }

            var outcomes = Deploy(payload, auth);
            var overall = outcomes.Any(o => o.Result == "queued") ? "queued"
                : outcomes.Any(o => o.Result == "pinned") ? "pinned" : "ignored";
            var reason = matched.Count == 0 ? "no project uses this repository" : null;
            // The claim is durable and the deployments are queued: that is what the 202 promises. The outcome
            // joins the next group commit while the response goes out (awaited before logging).
            f.Completing = _store.CompleteAsync(claim.RecordId, overall, 202, reason ?? WebhookReply.ProjectsJson(outcomes));
            f.Projects = string.Join(',', outcomes.Select(o => o.Project + ":" + o.Result));
            return new WebhookReply(202, overall, reason, start.DeliveryId, outcomes);
        }
        catch (Exception e)
        {
            // Our failure, not the sender's: free the delivery id so the host's redelivery is handled.
            try { await _store.ReleaseAsync(claim.RecordId, "failed", 500, e.GetType().Name).ConfigureAwait(false); } catch (Exception) { /* the claim goes stale and is retaken */ }
            throw;
        }
    }

    private List<ProjectOutcome> Deploy(WebhookPayload payload, DeliveryAuthenticator.Result auth)
    {
        var outcomes = new List<ProjectOutcome>();
        foreach (var p in auth.Rejected) outcomes.Add(new ProjectOutcome(p.Name, "rejected", "signature"));
        foreach (var p in auth.Authentic)
        {
            var (update, ignored) = ProjectMatcher.Choose(p, payload.Updates);
            if (update is null)
            {
                outcomes.Add(new ProjectOutcome(p.Name, "ignored", ignored));
                continue;
            }
            try
            {
                var d = _target.RequestDeployment(new DeploymentRequest { Project = p.Name, Commit = update.After, Trigger = DeploymentTrigger.Webhook });
                outcomes.Add(d.Status == DeploymentStatus.Skipped
                    ? new ProjectOutcome(p.Name, "pinned", "project is pinned", d.Id)
                    : new ProjectOutcome(p.Name, "queued", null, d.Id));
            }
            catch (CicdException e)
            {
                // e.g. the project was unregistered a moment ago: the others still deploy.
                outcomes.Add(new ProjectOutcome(p.Name, "failed", e.ErrorId));
            }
        }
        return outcomes;
    }

    private static RefUpdate? PrimaryUpdate(WebhookPayload payload, IReadOnlyList<Project> matched)
    {
        foreach (var p in matched)
            if (ProjectMatcher.Choose(p, payload.Updates).Update is { } u) return u;
        return payload.Updates.FirstOrDefault();
    }

    private sealed class LogFields
    {
        public string? Provider, Event, Delivery, Repository, Ref, Commit, Projects, Outcome, Reason, Error;
        public Task? Completing;
        public bool Quiet;
    }
}
