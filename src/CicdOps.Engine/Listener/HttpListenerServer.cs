using System.Net;

namespace CicdOps.Engine.Listener;

/// <summary>
/// <see cref="IHttpServer"/> over System.Net.HttpListener: in the base library, so it runs inside pwsh as
/// well as in the CLI (Kestrel needs the ASP.NET Core shared framework, which pwsh does not ship).
/// </summary>
public sealed class HttpListenerServer : IHttpServer
{
    private readonly HttpListener _listener = new();
    private readonly TimeSpan _headerTimeout;
    private readonly string _prefix;

    public HttpListenerServer(string prefix, TimeSpan headerTimeout)
    {
        _prefix = prefix;
        _listener.Prefixes.Add(prefix);
        _listener.IgnoreWriteExceptions = true;
        _headerTimeout = headerTimeout;
    }

    public void Start()
    {
        ApplyTimeouts();
        try { _listener.Start(); }
        catch (HttpListenerException e)
        {
            // A failed Start disposes the HttpListener, so nothing of it may be read here.
            throw new CicdException(CicdError.InvalidPort, $"Cannot listen on {_prefix}: {e.Message}", _prefix, inner: e);
        }
    }

    // Windows (http.sys) enforces these; the managed implementation elsewhere supports only some of them,
    // which is why the request handler also cuts stalled bodies itself.
    private void ApplyTimeouts()
    {
        var tm = _listener.TimeoutManager;
        if (OperatingSystem.IsWindows())
        {
            tm.HeaderWait = _headerTimeout;
            tm.EntityBody = _headerTimeout;
        }
        TrySet(() => tm.IdleConnection = TimeSpan.FromSeconds(120));
        TrySet(() => tm.DrainEntityBody = _headerTimeout);
    }

    private static void TrySet(Action set)
    {
        try { set(); } catch (PlatformNotSupportedException) { }
    }

    public async Task<IHttpExchange> AcceptAsync()
    {
        try
        {
            return new Exchange(await _listener.GetContextAsync().ConfigureAwait(false));
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException && !_listener.IsListening)
        {
            throw new OperationCanceledException("The HTTP server stopped.", e);
        }
    }

    public void Stop()
    {
        try { if (_listener.IsListening) _listener.Stop(); }
        catch (ObjectDisposedException) { /* a failed Start already closed it */ }
    }

    public void Dispose()
    {
        Stop();
        // Managed HttpListener re-resolves its endpoint on Close after Stop; when another listener has the port by
        // then it throws "Address already in use" although nothing of ours is left to release.
        try { _listener.Close(); } catch (Exception e) when (e is ObjectDisposedException or HttpListenerException) { }
    }

    private sealed class Exchange(HttpListenerContext context) : IHttpExchange
    {
        public string Method => context.Request.HttpMethod;
        public string Path => context.Request.Url?.AbsolutePath ?? "/";
        public string? Header(string name) => context.Request.Headers[name];
        public long? ContentLength => context.Request.ContentLength64 >= 0 ? context.Request.ContentLength64 : null;
        public string? ContentType => context.Request.ContentType;
        public Stream Body => context.Request.InputStream;

        public async Task RespondAsync(int statusCode, string contentType, ReadOnlyMemory<byte> body, bool close)
        {
            var r = context.Response;
            r.StatusCode = statusCode;
            r.ContentType = contentType;
            r.ContentLength64 = body.Length;
            if (close) r.KeepAlive = false;
            r.Headers["Cache-Control"] = "no-store";
            await r.OutputStream.WriteAsync(body).ConfigureAwait(false);
            r.Close();
        }

        public void Abort()
        {
            try { context.Response.Abort(); } catch (ObjectDisposedException) { }
        }
    }
}
