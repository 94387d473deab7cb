using System.Diagnostics;
using System.Security.Cryptography;
using CicdOps.Engine.Model;
using CicdOps.Engine.State;
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

        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
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

        DeliveryClaim<ProjectOutcomes> claim;
        try
        {
            // One transaction (shared with the deliveries of the same group commit): the claim, the deployments
            // it queues and its outcome are written together, so a 202 always means "recorded and queued".
            claim = await _store.ClaimAsync(start, tx => Handle(tx, headers, payload, auth, matched)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Our failure, not the sender's: nothing was kept, so the host's redelivery is handled. Record the attempt.
            try { await _store.RecordRejectedAsync(start, "failed", 500, e.GetType().Name).ConfigureAwait(false); } catch (Exception) { /* already failing */ }
            throw;
        }
        if (!claim.Claimed) return new WebhookReply(200, "duplicate", "delivery already received", start.DeliveryId);

        var outcomes = claim.Value!;
        foreach (var o in outcomes.Listed)
        {
            if (o.Queued is not { } q) continue;
            // The deployment is queued durably whatever happens here: a runner that fails to start now is started
            // by the next request for the project or at the service's next start, so the answer stays 202.
            try { _target.Committed(q); }
            catch (Exception e) { f.Error ??= "starting a runner failed: " + e.GetType().Name; }
        }
        if (headers.IsPing) return new WebhookReply(200, "pong", null, start.DeliveryId);
        if (!headers.IsPush) return new WebhookReply(200, "ignored", "event not handled", start.DeliveryId);
        f.Projects = outcomes.Summary();
        return new WebhookReply(202, outcomes.Overall, matched.Count == 0 ? "no project uses this repository" : null, start.DeliveryId, outcomes);
    }

    /// <summary>Runs inside the delivery's transaction: queues what the delivery deploys and says how to record it.</summary>
    private DeliveryOutcome<ProjectOutcomes> Handle(Statements tx, WebhookHeaders headers, WebhookPayload payload,
        DeliveryAuthenticator.Result auth, IReadOnlyList<Project> matched)
    {
        if (headers.IsPing) return new("pong", 200, null, new());
        if (!headers.IsPush) return new("ignored", 200, "event not handled", new());
        var outcomes = Deploy(tx, payload, auth);
        var detail = matched.Count == 0 ? "no project uses this repository" : outcomes.RecordJson();
        return new(outcomes.Overall, 202, detail, outcomes);
    }

    private ProjectOutcomes Deploy(Statements tx, WebhookPayload payload, DeliveryAuthenticator.Result auth)
    {
        var outcomes = new ProjectOutcomes();
        foreach (var p in auth.Rejected) outcomes.Add(new ProjectOutcome(p.Name, "rejected", "signature"));
        foreach (var p in auth.Authentic)
        {
            var (update, ignored) = ProjectMatcher.Choose(p, payload.Updates);
            if (update?.After is not { } commit)
            {
                outcomes.Ignored(p.Name, ignored);
                continue;
            }
            try
            {
                var q = _target.Queue(tx, p.Name, commit);
                outcomes.Add(q.Status == DeploymentStatus.Skipped
                    ? new ProjectOutcome(p.Name, "pinned", "project is pinned", q.Id)
                    : new ProjectOutcome(p.Name, "queued", null, q.Id) { Queued = q });
            }
            catch (CicdException e)
            {
                // e.g. the project was unregistered a moment ago (nothing was written for it): the others still deploy.
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
        public bool Quiet;
    }
}
