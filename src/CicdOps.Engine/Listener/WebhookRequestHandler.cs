using System.Diagnostics;
using System.Security.Cryptography;
using CicdOps.Engine.Model;
using CicdOps.Engine.Pipelines;
using CicdOps.Engine.State;
using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine.Listener;

/// <summary>
/// Turns one HTTP request into at most one deployment per matching project. Answers 202 only once the
/// delivery is recorded and its deployments queued; never waits for a deployment to run.
/// </summary>
internal sealed class WebhookRequestHandler : IDisposable
{
    private const string Json = "application/json";
    private readonly ListenerOptions _options;
    private readonly IDeployTarget _target;
    private readonly WebhookDeliveryStore _store;
    private readonly ListenerLog _log;
    private readonly DeliveryAuthenticator _authenticator;
    private readonly ProjectMatcher _matcher = new();
    private readonly BodyBudget _budget;
    private readonly SemaphoreSlim _slots;
    private readonly UnverifiedCounter _unverified;

    public WebhookRequestHandler(ListenerOptions options, IDeployTarget target, WebhookDeliveryStore store, ListenerLog log)
    {
        _options = options;
        _target = target;
        _store = store;
        _log = log;
        _authenticator = new DeliveryAuthenticator(options);
        _budget = new BodyBudget(options.BodyMemoryBudget, options.SmallBodyBytes);
        _slots = new SemaphoreSlim(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
        _unverified = new UnverifiedCounter(store);
    }

    /// <summary>Requests answered before their signature held, by provider and status.</summary>
    public UnverifiedCounter UnverifiedCounts => _unverified;

    /// <summary>Body bytes reserved by requests being read now.</summary>
    public long BodyBytesReserved => _budget.InUse;

    /// <summary>Writes the last unverified counts.</summary>
    public void Dispose() => _unverified.Dispose();

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
            if (reply is not null) await ex.RespondAsync(reply.StatusCode, Json, reply.ToJson(), reply.Close).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            fields.Error ??= "response failed: " + e.GetType().Name;
            ex.Abort();
        }

        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (fields.Quiet && reply?.StatusCode == 200) return;
        _log.Write($"webhook status={reply?.StatusCode} outcome={ListenerLog.Clean(reply?.Outcome ?? fields.Outcome)} " +
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
        string? project = null;
        if (path.StartsWith("/webhook/", StringComparison.Ordinal)) project = Uri.UnescapeDataString(path["/webhook/".Length..]);
        else if (path is not ("" or "/webhook")) return new WebhookReply(404, "rejected", "not found; deliveries go to POST /webhook or /webhook/<project>");
        if (ex.Method != "POST") return new WebhookReply(405, "rejected", "use POST");
        return await HandleDeliveryAsync(ex, fields, project, stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// Nothing an unauthenticated sender could learn from is answered before the signature holds: every failure up to
    /// then is the same 401 (or a size/time/memory limit), counted but not stored. Only a verified sender is told
    /// why its delivery was refused.
    /// </summary>
    private async Task<WebhookReply?> HandleDeliveryAsync(IHttpExchange ex, LogFields f, string? urlProject, CancellationToken stopping)
    {
        var headers = WebhookHeaderReader.Read(ex.Header, out var headerError);
        if (headers is null) return Unverified(f, "-", 401, "headers: " + headerError);
        f.Provider = headers.Provider.ToName();
        // Two signatures of one kind: which one would count is the server's choice, so neither does.
        foreach (var name in headers.SignatureHeaders)
            if (ex.HeaderCount(name) > 1) return Unverified(f, f.Provider, 401, name + " sent more than once");
        f.Event = headers.Event;
        f.Delivery = headers.DeliveryId;

        using var read = await BodyReader.ReadAsync(ex, _options.MaxBodyBytes, _options.BodyTimeout, _budget, stopping).ConfigureAwait(false);
        switch (read.Status)
        {
            case BodyReadStatus.TimedOut:
                return Unverified(f, f.Provider, 408, "body not received in time", close: true);
            case BodyReadStatus.TooLarge:
                return Unverified(f, f.Provider, 413, $"body larger than {_options.MaxBodyBytes} bytes", close: true);
            case BodyReadStatus.NoMemory:
                return Unverified(f, f.Provider, 503, "too many bodies being received; retry later", close: true, outcome: "busy");
        }
        // Bodies are read before a slot is taken: slow senders hold memory from the budget, never a slot.
        if (!await _slots.WaitAsync(_options.QueueTimeout, stopping).ConfigureAwait(false))
            return Unverified(f, f.Provider, 503, "too many concurrent requests; retry later", close: true, outcome: "busy");
        try
        {
            return await HandleBodyAsync(headers, ex.ContentType, read.Bytes, f, urlProject).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<WebhookReply?> HandleBodyAsync(WebhookHeaders headers, string? contentType, byte[] body, LogFields f, string? urlProject)
    {
        var projects = _target.GetProjects();
        Project? only = null;
        if (urlProject is not null)
        {
            // An unknown name is the same 401 as a bad signature: the URL must not reveal which projects exist.
            only = projects.FirstOrDefault(p => p.Name == urlProject);
            if (only is null) return Unverified(f, f.Provider!, 401, "no project " + urlProject);
        }

        var start = new WebhookDeliveryStart
        {
            Provider = headers.Provider.ToName(),
            // Hosts that send no delivery id still get duplicate detection: the same body is the same event.
            DeliveryId = headers.DeliveryId ?? "sha256:" + Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant(),
            Event = headers.Event,
            Signature = "unchecked",
        };
        var payload = WebhookPayloadParser.Parse(headers, contentType, body, out var parseError);
        if (payload is null)
        {
            var verdict = _authenticator.VerifyFor(headers, body, only);
            if (!_authenticator.IsAccepted(verdict)) return Unverified(f, start.Provider, 401, "signature " + Name(verdict) + "; payload unreadable");
            f.Delivery = start.DeliveryId;
            await _store.RecordRejectedAsync(start with { Signature = Name(verdict) }, "rejected", 400, parseError).ConfigureAwait(false);
            return new WebhookReply(400, "rejected", parseError, start.DeliveryId);
        }

        var keys = payload.RepositoryKeys;
        IReadOnlyList<Project> matched = only is null ? _matcher.Matching(projects, keys)
            : ProjectMatcher.Matches(only, keys) ? [only] : [];
        var auth = _authenticator.Authenticate(headers, body, matched, only);
        if (!auth.Accepted) return Unverified(f, start.Provider, 401, "signature " + Name(auth.Signature));

        var primary = PrimaryUpdate(payload, matched);
        start = start with
        {
            Repository = keys.FirstOrDefault(),
            // A pull request is recorded with its source branch and head commit.
            Ref = payload.PullRequest is { } pr ? RefUpdate.BranchPrefix + pr.SourceBranch : primary?.Ref,
            Commit = payload.PullRequest?.HeadCommit ?? primary?.After,
            Signature = Name(auth.Signature),
        };
        (f.Delivery, f.Repository, f.Ref, f.Commit) = (start.DeliveryId, start.Repository, start.Ref, start.Commit);

        DeliveryClaim<ProjectOutcomes> claim;
        try
        {
            // One transaction (shared with the deliveries of the same group commit): the claim, the deployments
            // it queues and its outcome are written together, so a 202 always means "recorded and queued".
            claim = await _store.ClaimAsync(start, tx => Handle(tx, headers, payload, auth, matched, only)).ConfigureAwait(false);
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
        if (outcomes.PipelinesQueued)
        {
            try { _target.PipelinesQueued(); }
            catch (Exception e) { f.Error ??= "starting pipeline runs failed: " + e.GetType().Name; }
        }
        if (headers.IsPing) return new WebhookReply(200, "pong", null, start.DeliveryId);
        if (headers.IsPullRequest && payload.PullRequest is null)
            return new WebhookReply(200, "ignored", payload.PullRequestIgnored, start.DeliveryId);
        if (!headers.IsPush && !headers.IsPullRequest) return new WebhookReply(200, "ignored", "event not handled", start.DeliveryId);
        f.Projects = outcomes.Summary();
        return new WebhookReply(202, outcomes.Overall, matched.Count == 0 && only is null ? "no project uses this repository" : null, start.DeliveryId, outcomes);
    }

    private static string Name(SignatureResult r) => r.ToString().ToLowerInvariant();

    /// <summary>
    /// An answer given before the delivery was verified: generic, counted (never stored row by row, so a flood
    /// cannot grow the database), and logged with the reason for the operator.
    /// </summary>
    private WebhookReply Unverified(LogFields f, string provider, int status, string reason, bool close = false, string outcome = "rejected")
    {
        _unverified.Count(provider, status);
        f.Reason = reason;
        var said = status switch
        {
            401 => "signature verification failed",
            _ => reason,
        };
        return new WebhookReply(status, outcome, said, Close: close || status == 401);
    }

    /// <summary>Runs inside the delivery's transaction: queues what the delivery deploys and says how to record it.</summary>
    private DeliveryOutcome<ProjectOutcomes> Handle(Statements tx, WebhookHeaders headers, WebhookPayload payload,
        DeliveryAuthenticator.Result auth, IReadOnlyList<Project> matched, Project? only)
    {
        if (headers.IsPing) return new("pong", 200, null, new());
        if (headers.IsPullRequest && payload.PullRequest is null) return new("ignored", 200, payload.PullRequestIgnored, new());
        if (!headers.IsPush && !headers.IsPullRequest) return new("ignored", 200, "event not handled", new());
        var outcomes = payload.PullRequest is { } pr ? PullRequestRuns(tx, headers, pr, auth) : Deploy(tx, headers, payload, auth);
        if (only is not null && matched.Count == 0) outcomes.Add(new ProjectOutcome(only.Name, "ignored", "the delivery is for another repository"));
        var detail = matched.Count == 0 && only is null ? "no project uses this repository" : outcomes.RecordJson();
        return new(outcomes.Overall, 202, detail, outcomes);
    }

    private ProjectOutcomes Deploy(Statements tx, WebhookHeaders headers, WebhookPayload payload, DeliveryAuthenticator.Result auth)
    {
        var outcomes = new ProjectOutcomes();
        foreach (var p in auth.Rejected) outcomes.Add(new ProjectOutcome(p.Name, "rejected", "signature"));
        foreach (var p in auth.Authentic)
        {
            var (update, ignored) = ProjectMatcher.Choose(p, payload.Updates);
            // A pushed tag runs the pipeline of every project of the repository that subscribes to tags (never a deploy).
            var tag = PipelineEventNames.Subscribes(p, PipelineEventNames.Tag) ? FirstTag(payload.Updates) : null;
            if (update?.After is not { } commit)
            {
                if (tag is not null && TryQueuePipeline(tx, outcomes, p, Trigger(headers, PipelineEventNames.Tag, tag), null) is { } t)
                    outcomes.Add(t);
                else outcomes.Ignored(p.Name, ignored);
                continue;
            }
            try
            {
                var q = _target.Queue(tx, p.Name, commit);
                var outcome = q.Status == DeploymentStatus.Skipped
                    ? new ProjectOutcome(p.Name, "pinned", "project is pinned", q.Id)
                    : new ProjectOutcome(p.Name, "queued", null, q.Id) { Queued = q };
                // A project that requires its pipeline runs it inside the deployment (the gate); any other that
                // subscribes to pushes runs it beside the deployment, independent of it.
                if (!p.RequirePipeline && PipelineEventNames.Subscribes(p, PipelineEventNames.Push))
                    outcome = TryQueuePipeline(tx, outcomes, p, Trigger(headers, PipelineEventNames.Push, update), outcome) ?? outcome;
                if (tag is not null) outcome = TryQueuePipeline(tx, outcomes, p, Trigger(headers, PipelineEventNames.Tag, tag), outcome) ?? outcome;
                outcomes.Add(outcome);
            }
            catch (CicdException e)
            {
                // e.g. the project was unregistered a moment ago (nothing was written for it): the others still deploy.
                outcomes.Add(new ProjectOutcome(p.Name, "failed", e.ErrorId));
            }
        }
        return outcomes;
    }

    /// <summary>
    /// A pull or merge request runs the pipeline of each project of the repository whose branch it targets and that
    /// subscribes to pull_request, for its head commit. It never deploys.
    /// </summary>
    private ProjectOutcomes PullRequestRuns(Statements tx, WebhookHeaders headers, PullRequestEvent pr, DeliveryAuthenticator.Result auth)
    {
        var outcomes = new ProjectOutcomes();
        foreach (var p in auth.Rejected) outcomes.Add(new ProjectOutcome(p.Name, "rejected", "signature"));
        foreach (var p in auth.Authentic)
        {
            if (!string.Equals(p.Branch, pr.TargetBranch, StringComparison.Ordinal)) outcomes.Ignored(p.Name, "targets another branch");
            else if (!PipelineEventNames.Subscribes(p, PipelineEventNames.PullRequest)) outcomes.Ignored(p.Name, "not subscribed to pull_request");
            else
            {
                var trigger = new PipelineTrigger
                {
                    Event = PipelineEventNames.PullRequest, Provider = headers.Provider.ToName(), Ref = RefUpdate.BranchPrefix + pr.SourceBranch,
                    Commit = pr.HeadCommit, DeliveryId = headers.DeliveryId ?? "",
                    PullRequest = new PullRequestContext(pr.Number, pr.SourceBranch, pr.TargetBranch),
                };
                if (TryQueuePipeline(tx, outcomes, p, trigger, null) is { } o) outcomes.Add(o);
            }
        }
        return outcomes;
    }

    private static RefUpdate? FirstTag(IReadOnlyList<RefUpdate> updates)
    {
        for (var i = 0; i < updates.Count; i++)
            if (updates[i].IsTag) return updates[i];
        return null;
    }

    private static PipelineTrigger Trigger(WebhookHeaders headers, string eventName, RefUpdate update) => new()
    {
        Event = eventName, Provider = headers.Provider.ToName(), Ref = update.Ref, Commit = update.After!,
        Before = update.Before ?? "", DeliveryId = headers.DeliveryId ?? "",
    };

    /// <summary>
    /// Queues the run in the delivery's transaction; returns <paramref name="onto"/> (or a new "queued" outcome) with the
    /// run's id, or a "failed" outcome when it could not be queued.
    /// </summary>
    private ProjectOutcome? TryQueuePipeline(Statements tx, ProjectOutcomes outcomes, Project p, PipelineTrigger trigger, ProjectOutcome? onto)
    {
        try
        {
            var run = _target.QueuePipeline(tx, p.Name, trigger);
            if (run is null) return onto;
            outcomes.PipelinesQueued = true;
            return (onto ?? new ProjectOutcome(p.Name, "queued")) with { PipelineRun = run };
        }
        catch (CicdException e)
        {
            return onto ?? new ProjectOutcome(p.Name, "failed", e.ErrorId);
        }
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
