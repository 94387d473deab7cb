using System.Net;
using CicdOps.Engine;
using CicdOps.Engine.Listener;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace CicdOps.Server;

/// <summary>
/// The listener's endpoints on Kestrel. Kestrel brings what a server facing the internet needs and the engine must
/// not re-implement: header timeouts, minimum body data rates, body and connection limits, HTTP/1.1 pipelining,
/// HTTP/2 and TLS. Every request goes to the engine's handler as it is; this class decides nothing about webhooks.
/// </summary>
public sealed class KestrelHttpServer : IHttpServer
{
    private readonly ListenerOptions _options;
    private readonly Action<string> _log;
    private readonly Api.ApiEndpoints? _api;
    private readonly Dashboard.DashboardEndpoints? _dashboard;
    private WebApplication? _app;

    /// <param name="api">The /api endpoints (fleet snapshot and stream), or null to serve only the webhook paths.</param>
    /// <param name="dashboard">The dashboard (every path but /api, /webhook and /healthz), or null when it is off.</param>
    public KestrelHttpServer(ListenerOptions options, Api.ApiEndpoints? api = null, Dashboard.DashboardEndpoints? dashboard = null)
    {
        _options = options;
        _api = api;
        _dashboard = dashboard;
        _log = options.Log ?? Console.Out.WriteLine;
        Address = $"{(options.UsesTls ? "https" : "http")}://{HostForDisplay(options.BindAddress)}:{options.Port}";
    }

    public string Address { get; }

    public async Task StartAsync(Func<IHttpExchange, Task> handle)
    {
        // The empty builder reads no configuration files and no ASPNETCORE_* variables: a root service must not take
        // its bind addresses or certificates from whatever directory it was started in.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "cicdops" });
        builder.Logging.ClearProviders();
        // Kestrel's own rejections (bad Host header, malformed request line, header timeout) become one log line each.
        builder.Logging.AddProvider(new RejectionLogProvider(_log));
        builder.Logging.AddFilter(RejectionLogProvider.BadRequests, LogLevel.Debug);
        builder.WebHost.UseKestrelCore();
        if (_options.UsesTls) builder.WebHost.UseKestrelHttpsConfiguration();
        var certificates = _options.UsesTls ? new ReloadingCertificate(_options.TlsCertificateFile!, _options.TlsKeyFile!, _log) : null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            ApplyLimits(k.Limits, _options);
            foreach (var ip in BindAddresses(_options.BindAddress))
                k.Listen(ip, _options.Port, listen =>
                {
                    listen.Protocols = certificates is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                    if (certificates is not null)
                        listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => certificates.Current());
                });
        });
        var app = builder.Build();
        // /api/… is the API's (bearer tokens, long-lived streams); everything else is the engine's webhook handler, as before.
        // With the dashboard on, every other path but /webhook…, /healthz and a POST to / (deliveries sent to the root) is its.
        app.Run(context => _api is not null && context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal)
            ? _api.HandleAsync(context)
            : _dashboard is not null && !context.Request.Path.StartsWithSegments("/webhook", StringComparison.Ordinal)
                && !context.Request.Path.Equals("/healthz", StringComparison.Ordinal)
                && !(HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Value is "/" or "")
                ? _dashboard.HandleAsync(context)
                : handle(new KestrelExchange(context)));
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            var why = e.InnerException?.Message ?? e.Message;
            throw new CicdException(CicdError.InvalidPort, $"Cannot listen on {Address}: {why}", Address, inner: e);
        }
        _app = app;
    }

    /// <summary>Kestrel's limits from the listener's options: what bounds slow and flooding clients before any handler runs.</summary>
    internal static void ApplyLimits(KestrelServerLimits limits, ListenerOptions o)
    {
        limits.MaxConcurrentConnections = o.MaxConnections;
        limits.MaxConcurrentUpgradedConnections = 0;
        limits.MaxRequestBodySize = o.MaxBodyBytes;
        limits.RequestHeadersTimeout = o.HeaderTimeout;
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
        limits.MaxRequestHeadersTotalSize = 32 * 1024;
        limits.MaxRequestHeaderCount = 100;
        // What Kestrel buffers per connection before the handler reads: small, so 1,000 connections cost little.
        limits.MaxRequestBufferSize = 64 * 1024;
        limits.MinRequestBodyDataRate = new MinDataRate(o.MinBodyBytesPerSecond, TimeSpan.FromSeconds(5));
        limits.Http2.MaxStreamsPerConnection = 16;
    }

    private static IEnumerable<IPAddress> BindAddresses(string bind)
    {
        if (bind is ListenerOptions.AllInterfaces or "*") return [IPAddress.IPv6Any];
        if (IPAddress.TryParse(bind.Trim('[', ']'), out var ip)) return [ip];
        if (bind.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return [IPAddress.Loopback];
        return Dns.GetHostAddresses(bind);
    }

    private static string HostForDisplay(string bind) =>
        bind is ListenerOptions.AllInterfaces or "*" ? "0.0.0.0"
        : IPAddress.TryParse(bind.Trim('[', ']'), out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]"
        : bind;

    public async Task StopAsync()
    {
        _api?.Stop(); // open streams end now, or they would hold the stop for its whole timeout
        if (_app is { } app)
        {
            // The listener drained its requests before this; what is left (idle keep-alives, stalled clients) is cut.
            using var cut = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try { await app.StopAsync(cut.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _app, null) is { } app) await app.DisposeAsync().ConfigureAwait(false);
        if (_api is not null) await _api.DisposeAsync().ConfigureAwait(false);
    }
}
