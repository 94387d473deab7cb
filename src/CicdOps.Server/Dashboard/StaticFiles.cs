using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Dashboard;

/// <summary>
/// The dashboard's scripts, styles and vendored libraries, embedded in this assembly (static/** in the project) and
/// served from memory under /static/: nothing is read from disk or fetched from a CDN at run time. Long-cached with an
/// ETag of the content; every file is public (no session needed), so the login page can use the stylesheet.
/// </summary>
public static class StaticFiles
{
    private const string Prefix = "dashboard/static/";

    private static readonly FrozenDictionary<string, (byte[] Body, string Type, string ETag)> Files = Load();

    public static IEnumerable<string> Paths => Files.Keys;

    private static FrozenDictionary<string, (byte[], string, string)> Load()
    {
        var asm = typeof(StaticFiles).Assembly;
        var d = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var s = asm.GetManifestResourceStream(name)!;
            using var m = new MemoryStream();
            s.CopyTo(m);
            var bytes = m.ToArray();
            var etag = "\"" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes), 0, 8) + "\"";
            d["/static/" + name[Prefix.Length..]] = (bytes, TypeOf(name), etag);
        }
        return d.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string TypeOf(string name) => Path.GetExtension(name) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".md" or "" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };

    public static async Task<bool> TryServeAsync(HttpContext context)
    {
        if (!Files.TryGetValue(context.Request.Path.Value ?? "", out var f)) return false;
        var r = context.Response;
        r.Headers.ETag = f.ETag;
        r.Headers.CacheControl = "public, max-age=3600";
        r.Headers.XContentTypeOptions = "nosniff";
        if (context.Request.Headers.IfNoneMatch.ToString() == f.ETag) { r.StatusCode = 304; return true; }
        r.StatusCode = 200;
        r.ContentType = f.Type;
        r.ContentLength = f.Body.Length;
        if (!HttpMethods.IsHead(context.Request.Method)) await r.Body.WriteAsync(f.Body, context.RequestAborted);
        return true;
    }
}
