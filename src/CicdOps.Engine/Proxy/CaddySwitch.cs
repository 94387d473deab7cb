using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CicdOps.Engine.Proxy;

/// <summary>
/// Points Caddy at one port through its admin API: the upstreams of the reverse_proxy handler carrying the
/// project's `@id` are replaced (PATCH /id/ROUTE/upstreams, which Caddy applies as a whole new configuration, with
/// no dropped connections, or refuses leaving the old one) and read back. The admin API is reached on loopback only
/// (it is unauthenticated: whoever reaches it controls Caddy), never through an HTTP proxy, and what CicdOps sends
/// is built from validated values (a port number, a route id), never from the repository.
/// </summary>
internal static partial class CaddySwitch
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(5),
    }) { Timeout = TimeSpan.FromSeconds(30) };

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,99}\z")]
    private static partial Regex RouteId();

    /// <summary>The admin URL (normalised: http://HOST:PORT) and route, checked, and the route found at that Caddy now.</summary>
    public static (string Admin, string Route) Validate(string? admin, string? route)
    {
        if (string.IsNullOrWhiteSpace(admin) || string.IsNullOrWhiteSpace(route))
            throw Bad("Caddy needs both its admin API and the route id: --caddy-admin http://127.0.0.1:2019 --caddy-route ID / -CaddyAdmin and -CaddyRoute.", admin ?? route);
        if (admin.Any(char.IsControl) || !Uri.TryCreate(admin, UriKind.Absolute, out var u) || u.Scheme != "http" || u.UserInfo.Length > 0
            || u.AbsolutePath != "/" || u.Query.Length > 0 || u.Fragment.Length > 0 || !admin.Contains(":" + u.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
            throw Bad($"Invalid Caddy admin address '{Validation.Names.Printable(admin)}': give http://127.0.0.1:PORT (scheme, loopback host and port only).", admin);
        if (!(u.Host == "localhost" || (IPAddress.TryParse(u.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip))))
            throw Bad($"Invalid Caddy admin address '{admin}': the admin API must be on loopback (127.0.0.1, [::1] or localhost); it has no authentication.", admin);
        if (!RouteId().IsMatch(route))
            throw Bad($"Invalid Caddy route id '{Validation.Names.Printable(route)}': letters, digits, '.', '_' and '-' (the handler's \"@id\").", route);
        var normalized = $"http://{u.Authority}";
        var (status, body) = Send(HttpMethod.Get, normalized, route, null);
        if (status is null)
            throw Bad($"Cannot reach Caddy's admin API at {normalized}: {body}", admin);
        if (status != HttpStatusCode.OK)
            throw Bad($"Caddy at {normalized} has no handler with \"@id\": \"{route}\" ({(int)status}: {OneLine(body)}); add it to the reverse_proxy handler in front of the app.", route);
        if (!IsReverseProxy(body))
            throw Bad($"\"@id\": \"{route}\" at {normalized} is not a reverse_proxy handler; put the id on the handler whose upstreams CicdOps should switch.", route);
        return (normalized, route);
    }

    /// <returns>Null when Caddy now sends requests to <paramref name="port"/>; otherwise why not (Caddy kept what it had).</returns>
    public static async Task<string?> PointAtAsync(ProjectProxy proxy, int port, Action<string> log)
    {
        var admin = proxy.CaddyAdmin!;
        var route = proxy.CaddyRoute!;
        var dial = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        var (status, body) = await SendAsync(HttpMethod.Patch, admin, route + "/upstreams", JsonSerializer.Serialize(new[] { new { dial } }));
        if (status != HttpStatusCode.OK)
            return status is null ? $"cannot reach Caddy's admin API at {admin}: {body}" : $"Caddy refused the switch ({(int)status}: {OneLine(body)}); it keeps its previous configuration";
        var (readStatus, now) = await SendAsync(HttpMethod.Get, admin, route + "/upstreams", null);
        if (readStatus != HttpStatusCode.OK || !OnlyDial(now, dial))
            return $"Caddy's route {route} does not read back as {dial} after the switch ({OneLine(now)})";
        log($"caddy now sends {proxy.Project}'s requests to port {port} (route {route} at {admin})");
        return null;
    }

    private static bool OnlyDial(string json, string dial)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.GetArrayLength() == 1
                && doc.RootElement[0].TryGetProperty("dial", out var d) && d.GetString() == dial;
        }
        catch (JsonException) { return false; }
    }

    private static bool IsReverseProxy(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("handler", out var h) && h.GetString() == "reverse_proxy";
        }
        catch (JsonException) { return false; }
    }

    private static (HttpStatusCode? Status, string Body) Send(HttpMethod method, string admin, string path, string? json) =>
        SendAsync(method, admin, path, json).GetAwaiter().GetResult();

    /// <summary>One request to /id/PATH; a null status says the admin API could not be reached (the body says why).</summary>
    private static async Task<(HttpStatusCode? Status, string Body)> SendAsync(HttpMethod method, string admin, string path, string? json)
    {
        try
        {
            using var request = new HttpRequestMessage(method, $"{admin}/id/{path}");
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await Http.SendAsync(request).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            return (response.StatusCode, body);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { return (null, e.Message); }
    }

    private static string OneLine(string s)
    {
        var t = s.ReplaceLineEndings(" ").Trim();
        return t.Length > 300 ? t[..300] + "…" : t;
    }

    private static CicdException Bad(string message, object? target) => new(CicdError.InvalidArgument, message, target);
}
