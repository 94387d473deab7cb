using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Dashboard;

/// <summary>
/// The dashboard's session cookie and the CSRF token bound to it. The cookie is HttpOnly (scripts never read it),
/// SameSite=Strict (never sent on a request another site starts) and Secure under TLS. The CSRF token is an HMAC of the
/// cookie: it is in the page (a meta tag) and must come back in the X-CSRF-Token header of every action, so a request a
/// page on another origin makes (which cannot read ours) fails even if a browser sent the cookie. Being derived, it needs
/// no storage and survives a listener restart; knowing it tells nothing about the cookie.
/// </summary>
public static class SessionCookie
{
    public const string Name = "cicdops_session";
    public const string CsrfHeader = "X-CSRF-Token";

    public static string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(Name, out var v) && !string.IsNullOrEmpty(v) ? v : null;

    public static void Set(HttpResponse response, string value, DateTimeOffset expires, bool secure) =>
        response.Cookies.Append(Name, value, new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = secure, Path = "/", Expires = expires, IsEssential = true,
        });

    public static void Clear(HttpResponse response, bool secure) =>
        response.Cookies.Delete(Name, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = secure, Path = "/" });

    public static string Csrf(string cookie)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(cookie), "cicdops-csrf-v1"u8);
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool CsrfMatches(string cookie, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Csrf(cookie)), Encoding.ASCII.GetBytes(presented));

    /// <summary>
    /// Whether an action comes from our own pages: an Origin header, when sent, must be this server's (scheme, host and
    /// port as the browser addressed it), and Sec-Fetch-Site, when sent, must be same-origin.
    /// </summary>
    public static string? CrossOriginReason(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase))
            return $"cross-origin request from {origin}";
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none")) return $"cross-site request (Sec-Fetch-Site: {site})";
        return null;
    }
}
