using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine.Listener;

/// <summary>
/// The webhook listener service: accepts requests, bounds how many are handled at once, and keeps serving
/// whatever a single request does. Used by `cicdops listen` and Start-CicdListener.
/// </summary>
public sealed class WebhookListener : IAsyncDisposable
{
    private readonly ListenerOptions _options;
    private readonly IHttpServer _server;
    private readonly WebhookRequestHandler _handler;
    private readonly WebhookDeliveryStore _store;
    private readonly ListenerLog _log;
    private readonly SemaphoreSlim _slots;
    // _stopping ends accepting; _abandon (after the grace period) cuts requests still reading their body.
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly List<Task> _acceptLoops = new();
    private int _inFlight;
    private int _state; // 0 new, 1 running, 2 stopped

    /// <param name="server">The HTTP server; null uses HttpListener on <see cref="ListenerOptions.Prefix"/>.</param>
    internal WebhookListener(ListenerOptions options, IDeployTarget target, WebhookDeliveryStore store, IHttpServer? server = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(store);
        _options = options;
        _log = new ListenerLog(options.Log);
        _server = server ?? new HttpListenerServer(options.Prefix, options.BodyTimeout);
        _store = store;
        _handler = new WebhookRequestHandler(options, target, store, _log);
        _slots = new SemaphoreSlim(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
    }

    /// <summary>Null when the listener may start with these options; otherwise the one-line reason it must not.</summary>
    public static string? Validate(ListenerOptions options) => options.Validate();

    public string Prefix => _options.Prefix;

    /// <summary>Requests accepted and not yet finished (including any waiting for a slot).</summary>
    public int RequestsInFlight => Volatile.Read(ref _inFlight);

    /// <summary>Binds and starts serving in the background. Throws <see cref="CicdException"/> on bad options or a busy port.</summary>
    public void Start()
    {
        if (Validate(_options) is { } error) throw new CicdException(CicdError.InvalidArgument, error, _options.BindAddress);
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("The listener was already started.");
        _server.Start();
        // Two accept loops keep the socket busy while a request is being dispatched.
        for (var i = 0; i < 2; i++) _acceptLoops.Add(Task.Run(AcceptLoopAsync));
        _log.Write($"listener started prefix={_options.Prefix} signed={(_options.Secret is { Length: > 0 } ? "yes" : "no")} " +
                   $"unsigned-allowed={(_options.AcceptsUnsigned ? "yes" : "no")} max-body={_options.MaxBodyBytes} max-concurrent={_options.MaxConcurrentRequests}");
    }

    /// <summary>Starts, serves until <paramref name="cancellationToken"/> is cancelled, then stops gracefully.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Start();
        try { await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>Stops accepting and waits (up to <paramref name="grace"/>, default 10 s) for requests being handled.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        // New requests are answered 503 while those in flight finish; then the server stops.
        _stopping.Cancel();
        var deadline = DateTime.UtcNow + (grace ?? TimeSpan.FromSeconds(10));
        while (Volatile.Read(ref _inFlight) > 0 && DateTime.UtcNow < deadline) await Task.Delay(20).ConfigureAwait(false);
        _abandon.Cancel();
        _server.Stop();
        try { await Task.WhenAll(_acceptLoops).ConfigureAwait(false); } catch (Exception) { }
        _log.Write($"listener stopped abandoned={Volatile.Read(ref _inFlight)}");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _server.Dispose();
        _store.Dispose(); // the listener's writer connection and checkpoint thread
        _stopping.Dispose();
        _abandon.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            IHttpExchange ex;
            try { ex = await _server.AcceptAsync().ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (Exception e)
            {
                // A failed accept (a client that vanished mid-handshake) must not end the loop.
                _log.Write($"listener accept-failed error={ListenerLog.Clean(e.GetType().Name)}");
                await Task.Delay(10).ConfigureAwait(false); // no hot loop if the failure persists
                continue;
            }
            Interlocked.Increment(ref _inFlight);
            _ = Task.Run(() => ServeAsync(ex));
        }
    }

    private async Task ServeAsync(IHttpExchange ex)
    {
        try
        {
            if (_stopping.IsCancellationRequested)
            {
                await RespondBusyAsync(ex, "shutting down; retry later").ConfigureAwait(false);
                return;
            }
            if (!await _slots.WaitAsync(_options.QueueTimeout).ConfigureAwait(false))
            {
                await RespondBusyAsync(ex, "too many concurrent requests; retry later").ConfigureAwait(false);
                return;
            }
            try { await _handler.HandleAsync(ex, _abandon.Token).ConfigureAwait(false); }
            finally { _slots.Release(); }
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
