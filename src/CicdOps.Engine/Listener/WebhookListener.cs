using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine.Listener;

/// <summary>
/// The webhook listener service: takes each request the HTTP server hands it, bounds how many deliveries are
/// verified and recorded at once, and keeps serving whatever a single request does. Used by `cicdops listen`
/// (and through it Start-CicdListener). The HTTP server itself (Kestrel, in CicdOps.Server) is handed in.
/// </summary>
public sealed class WebhookListener : IAsyncDisposable
{
    private readonly ListenerOptions _options;
    private readonly IHttpServer _server;
    private readonly WebhookRequestHandler _handler;
    private readonly WebhookDeliveryStore _store;
    private readonly ListenerLog _log;
    // _stopping makes new requests 503; _abandon (after the grace period) cuts requests still reading their body.
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abandon = new();
    private int _inFlight;
    private int _state; // 0 new, 1 running, 2 stopped

    internal WebhookListener(ListenerOptions options, IDeployTarget target, WebhookDeliveryStore store, IHttpServer server)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(server);
        _options = options;
        _log = new ListenerLog(options.Log);
        _server = server;
        _store = store;
        _handler = new WebhookRequestHandler(options, target, store, _log);
    }

    /// <summary>Null when the listener may start with these options; otherwise the one-line reason it must not.</summary>
    public static string? Validate(ListenerOptions options) => options.Validate();

    public string Prefix => _options.Prefix;
    public string Address => _server.Address;

    /// <summary>Requests handed to the listener and not yet answered.</summary>
    public int RequestsInFlight => Volatile.Read(ref _inFlight);

    /// <summary>Body bytes the requests in flight hold from the body budget (a request is in flight before it reserves).</summary>
    internal long BodyBytesReserved => _handler.BodyBytesReserved;

    /// <summary>Requests answered without being verified (401, 413, 408, 503 before the signature held), since start.</summary>
    public long Unverified => _handler.UnverifiedCounts.Total;

    /// <summary>Times the delivery writer reset the WAL under load (tests read it).</summary>
    internal long WalRestarts => _store.WalRestarts;

    /// <summary>The delivery writer's WAL checkpointer (bound, hard resets, longest stall).</summary>
    internal State.WalCheckpointer WalCheckpointer => _store.Checkpointer;

    /// <summary>The delivery writer's group commits so far (count, writes, time inside them).</summary>
    internal (long Batches, long Writes, TimeSpan Busy) WriterStats => _store.WriterStats;

    /// <summary>Binds and starts serving. Throws <see cref="CicdException"/> on bad options or a busy port.</summary>
    public void Start() => StartAsync().GetAwaiter().GetResult();

    /// <inheritdoc cref="Start"/>
    public async Task StartAsync()
    {
        if (Validate(_options) is { } error) throw new CicdException(CicdError.InvalidArgument, error, _options.BindAddress);
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("The listener was already started.");
        try { await _server.StartAsync(ServeAsync).ConfigureAwait(false); }
        catch
        {
            // Never started: stopping says nothing, so the bind error is the first and only thing said.
            Volatile.Write(ref _state, 2);
            throw;
        }
        _log.Write($"listener started address={_server.Address} signed={(_options.Secret is { Length: > 0 } ? "yes" : "no")} " +
                   $"gitlab-token={(_options.GitLabToken is { Length: > 0 } ? "yes" : "no")} " +
                   $"unsigned-allowed={(_options.AcceptsUnsigned ? "yes" : "no")} tls={(_options.UsesTls ? "yes" : "no")} " +
                   $"max-body={_options.MaxBodyBytes} body-budget={_options.BodyMemoryBudget} max-concurrent={_options.MaxConcurrentRequests}");
    }

    /// <summary>Starts, serves until <paramref name="cancellationToken"/> is cancelled, then stops gracefully.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await StartAsync().ConfigureAwait(false);
        try { await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>Answers new requests 503 and waits (up to <paramref name="grace"/>, default 10 s) for those being handled; then stops the server.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        _stopping.Cancel();
        var deadline = DateTime.UtcNow + (grace ?? TimeSpan.FromSeconds(10));
        while (Volatile.Read(ref _inFlight) > 0 && DateTime.UtcNow < deadline) await Task.Delay(20).ConfigureAwait(false);
        var abandoned = Volatile.Read(ref _inFlight);
        _abandon.Cancel();
        await _server.StopAsync().ConfigureAwait(false);
        _log.Write($"listener stopped abandoned={abandoned}");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        _handler.Dispose(); // flushes the unverified-request counts
        _store.Dispose(); // the listener's writer connection and checkpoint thread; folds the WAL back
        _stopping.Dispose();
        _abandon.Dispose();
    }

    private async Task ServeAsync(IHttpExchange ex)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            if (_stopping.IsCancellationRequested)
            {
                await RespondBusyAsync(ex, "shutting down; retry later").ConfigureAwait(false);
                return;
            }
            await _handler.HandleAsync(ex, _abandon.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.Write($"listener request-failed error={ListenerLog.Clean(e.GetType().Name)}");
            ex.Abort();
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task RespondBusyAsync(IHttpExchange ex, string reason)
    {
        _log.Write($"webhook status=503 outcome=busy path={ListenerLog.Clean(ex.Path)} reason={ListenerLog.Clean(reason)}");
        var body = new WebhookReply(503, "busy", reason).ToJson();
        try { await ex.RespondAsync(503, "application/json", body, close: true).ConfigureAwait(false); }
        catch (Exception) { ex.Abort(); }
    }
}
