namespace CicdOps.Server.Api;

/// <summary>
/// Who made an API request: a bearer token ("token:NAME") or a dashboard session ("dashboard:session-ID"), and whether
/// it may act. <see cref="Actor"/> is what actions are recorded with.
/// </summary>
public sealed record Caller(string Actor, bool CanOperate, bool ViaSession, string? Csrf = null);
