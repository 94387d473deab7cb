using System.Globalization;
using System.Net;
using System.Text;

namespace CicdOps.Server.Dashboard;

/// <summary>HTML helpers: every piece of data goes through <see cref="E"/>; status is always words plus a symbol, never colour alone.</summary>
internal static class Html
{
    public static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    public static string U(string s) => Uri.EscapeDataString(s);

    public static string Short(string? sha) => sha is null ? "—" : sha.Length > 10 ? sha[..10] : sha;

    public static string Time(DateTimeOffset? t) => t is { } v
        ? $"<time datetime=\"{v.UtcDateTime:O}\">{v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z</time>" : "—";

    public static string Duration(TimeSpan? d) => d is not { } v ? "—"
        : v.TotalSeconds < 60 ? v.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : v.TotalMinutes < 60 ? $"{(int)v.TotalMinutes} min {v.Seconds} s"
        : v.TotalHours < 48 ? $"{(int)v.TotalHours} h {v.Minutes} min" : $"{(int)v.TotalDays} d {v.Hours} h";

    public static string Bytes(long? b) => b is not { } v ? "—"
        : v >= 1L << 30 ? (v / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB"
        : (v / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    public static string Percent(double? p) => p is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) + " %" : "—";

    /// <summary>A status in words with a symbol and a colour class: ok, bad, warn, info or muted.</summary>
    public static string Badge(string text, string tone) => $"<span class=\"badge s-{tone}\">{E(text)}</span>";

    public static string Status(ProjectStatus s) => Badge(s.ToString(), s switch
    {
        ProjectStatus.Healthy => "ok",
        ProjectStatus.Failed or ProjectStatus.Unhealthy => "bad",
        ProjectStatus.Deploying => "info",
        _ => "muted",
    });

    public static string Status(DeploymentStatus s) => Badge(s.ToString(), s switch
    {
        DeploymentStatus.Succeeded => "ok",
        DeploymentStatus.Failed or DeploymentStatus.Interrupted => "bad",
        DeploymentStatus.RolledBack => "warn",
        DeploymentStatus.Running or DeploymentStatus.Queued => "info",
        _ => "muted",
    });

    public static string Health(AppHealth? h) => h is not { } v ? Badge("Unknown", "muted") : Badge(v.ToString(), v switch
    {
        AppHealth.Healthy => "ok",
        AppHealth.Unhealthy => "bad",
        _ => "muted",
    });

    public static string Commit(string? repository, string? sha) =>
        sha is null ? "—"
        : CicdOps.Engine.CicdEngine.CommitLink(repository, sha) is { } url
            ? $"<a class=\"mono\" href=\"{E(url)}\" rel=\"noopener noreferrer\" title=\"{E(sha)}\">{E(Short(sha))}</a>"
            : $"<code title=\"{E(sha)}\">{E(Short(sha))}</code>";

    public static void Table(StringBuilder b, string caption, string cssClass, IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows, string empty)
    {
        var list = rows.ToList();
        if (list.Count == 0) { b.Append("<p class=\"muted\">").Append(E(empty)).Append("</p>"); return; }
        var hs = headers.ToList();
        b.Append("<div class=\"table-wrap\"><table class=\"").Append(cssClass).Append("\"><caption class=\"visually-hidden\">").Append(E(caption)).Append("</caption><thead><tr>");
        foreach (var h in hs) b.Append("<th scope=\"col\">").Append(E(h)).Append("</th>");
        b.Append("</tr></thead><tbody>");
        foreach (var r in list)
        {
            b.Append("<tr>");
            var i = 0;
            foreach (var cell in r) b.Append("<td data-label=\"").Append(E(hs[Math.Min(i++, hs.Count - 1)])).Append("\">").Append(cell).Append("</td>");
            b.Append("</tr>");
        }
        b.Append("</tbody></table></div>");
    }
}
