using CicdOps.Engine.Api;
using CicdOps.Engine.State;

namespace CicdOps.Engine;

/// <summary>
/// The web dashboard's sign-in: one-time login links (`cicdops dashboard login`) that open sessions, sessions listed and
/// revoked, and the record of who acted through the API or the dashboard.
/// </summary>
public sealed partial class CicdEngine
{
    /// <summary>How long a login link may wait to be opened.</summary>
    public static readonly TimeSpan DashboardLoginValidity = TimeSpan.FromMinutes(15);
    /// <summary>How long a session lasts from sign-in (absolute: it is not extended by use).</summary>
    public static readonly TimeSpan DashboardSessionLifetime = TimeSpan.FromHours(12);
    private static readonly TimeSpan SessionTouchEvery = TimeSpan.FromMinutes(1);

    /// <summary>Control characters out (a log line or table row stays one line), at most <paramref name="max"/> characters.</summary>
    private static string OneLine(string s, int max)
    {
        var chars = s.Select(c => char.IsControl(c) ? '?' : c).Take(max).ToArray();
        return new string(chars) + (s.Length > max ? "~" : "");
    }

    /// <summary>A one-time login link for <paramref name="role"/>, valid <see cref="DashboardLoginValidity"/> (or <paramref name="validFor"/>, at most that).</summary>
    public DashboardLogin CreateDashboardLogin(DashboardRole role, TimeSpan? validFor = null)
    {
        if (!Enum.IsDefined(role)) throw new CicdException(CicdError.InvalidArgument, $"Unknown role '{role}'; use Viewer or Operator.", role);
        var validity = validFor ?? DashboardLoginValidity;
        if (validity <= TimeSpan.Zero || validity > DashboardLoginValidity)
            throw new CicdException(CicdError.InvalidArgument, $"A login link is valid for at most {DashboardLoginValidity.TotalMinutes} minutes.", validFor);
        var secret = ApiTokenFormat.NewSecret();
        var now = DateTimeOffset.UtcNow;
        var id = _ctx.Db.Write(c => DashboardStore.InsertLogin(c, role, ApiTokenFormat.Hash(secret), now, now + validity));
        return new DashboardLogin { Id = id, Role = role, ExpiresAt = now + validity, Token = SecretTokenFormat.Login.Compose(id, secret) };
    }

    /// <summary>
    /// Opens a session with a login link's token: the link must be known, unexpired and never used (it is used now,
    /// even by a failed race). Returns the session and its cookie value (shown this once), or null, saying nothing of why.
    /// </summary>
    public (DashboardSession Session, string Cookie)? RedeemDashboardLogin(string? token, string? client)
    {
        if (!SecretTokenFormat.Login.TryParse(token, out var id, out var secret)) return null;
        var now = DateTimeOffset.UtcNow;
        var cookieSecret = ApiTokenFormat.NewSecret();
        var session = _ctx.Db.Write(c =>
        {
            if (DashboardStore.GetLogin(c, id) is not { } l || !SecretTokenFormat.Matches(secret, l.Hash) || l.Used || l.ExpiresAt <= now) return null;
            if (!DashboardStore.UseLogin(c, id, now)) return null;
            var clean = client is null ? null : OneLine(client, 200);
            return DashboardStore.InsertSession(c, l.Role, ApiTokenFormat.Hash(cookieSecret), id, clean, now, now + DashboardSessionLifetime);
        });
        return session is null ? null : (session, SecretTokenFormat.Session.Compose(session.Id, cookieSecret));
    }

    /// <summary>The session a cookie names, when it is valid now (known, not revoked, not expired); null otherwise.</summary>
    public DashboardSession? AuthenticateDashboardSession(string? cookie)
    {
        if (!SecretTokenFormat.Session.TryParse(cookie, out var id, out var secret)) return null;
        var found = _ctx.Db.Read(c => DashboardStore.GetSessionForCheck(c, id));
        if (found is not { } f || !SecretTokenFormat.Matches(secret, f.Hash)) return null;
        var now = DateTimeOffset.UtcNow;
        if (!f.Session.IsActiveAt(now)) return null;
        if (f.Session.LastSeenAt is not { } seen || now - seen > SessionTouchEvery)
            _ctx.Db.Write(c => DashboardStore.Touch(c, id, now));
        return f.Session;
    }

    /// <summary>Every session still on record (expired and revoked ones for a day after they end).</summary>
    public IReadOnlyList<DashboardSession> GetDashboardSessions() => _ctx.Db.Read(DashboardStore.ListSessions);

    /// <summary>Revokes a session: its cookie is refused from the next request on. Revoking twice is harmless.</summary>
    public DashboardSession RevokeDashboardSession(long id) =>
        _ctx.Db.Write(c =>
        {
            if (DashboardStore.GetSession(c, id) is null)
                throw new CicdException(CicdError.DashboardSessionNotFound, $"No dashboard session {id}; list them with `cicdops dashboard sessions`.", id);
            DashboardStore.Revoke(c, id, DateTimeOffset.UtcNow);
            return DashboardStore.GetSession(c, id)!;
        });

    /// <summary>
    /// Records that <paramref name="actor"/> ("token:NAME", "dashboard:session-ID") did something to a project, as an
    /// <see cref="CicdEventKind.Operator"/> event (shown with the watchdog's events, streamed to the fleet).
    /// </summary>
    public CicdEvent RecordOperatorAction(string project, string actor, string what, long? deploymentId = null)
    {
        var name = GetProject(project).Name;
        var message = OneLine($"{what} by {actor}", 300);
        var id = _ctx.Db.Write(c => EventStore.Add(c, name, CicdEventKind.Operator, message, deploymentId));
        _ctx.Changes.Pulse();
        return GetEvents(name, id - 1, 1).Single();
    }
}

public sealed partial class CicdEngine
{
    /// <summary>A web link to <paramref name="sha"/> on the repository's forge, when its URL names a known layout; else null.</summary>
    public static string? CommitLink(string? repository, string? sha) => Notifications.ForgeLinks.Commit(repository, sha);
}

public sealed partial class CicdEngine
{
    /// <summary>Each project's newest deployment (stages not loaded), by project name: one query for a whole fleet view.</summary>
    public IReadOnlyDictionary<string, Deployment> GetLatestDeployments()
    {
        RecoverInterrupted();
        return _ctx.Db.Read(DeploymentStore.LatestPerProject).ToDictionary(d => d.Project, StringComparer.Ordinal);
    }

    /// <summary>The last <paramref name="maxBytes"/> (at most) of the app's log, from a line start.</summary>
    public string TailAppLog(string project, int maxBytes = 64 * 1024)
    {
        var path = _ctx.Layout.AppLog(GetProject(project).Name);
        var size = File.Exists(path) ? new FileInfo(path).Length : 0;
        var (text, _) = Deploy.LogFile.Read(path, Math.Max(0, size - maxBytes));
        var nl = size > maxBytes ? text.IndexOf('\n') : -1;
        return nl >= 0 ? text[(nl + 1)..] : text;
    }
}
