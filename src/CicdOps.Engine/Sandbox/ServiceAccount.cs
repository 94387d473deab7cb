namespace CicdOps.Engine.Sandbox;

/// <summary>The account a project's install/run/health processes run as (resolved from the system's user database).</summary>
public sealed record ServiceAccount(string Name, uint Uid, uint Gid, string Home);
