using CicdOps.Engine.Fleet;

namespace CicdOps.Engine;

/// <summary>
/// This node's identity and fleet membership. The engine only stores them; connecting to the registry and
/// publishing live in CicdOps.Fleet, so the database drivers never load for commands that do not need them.
/// </summary>
public sealed partial class CicdEngine
{
    /// <summary>The node's stable id (created on first use) and its name (the joined name, else the hostname).</summary>
    public NodeIdentity GetNodeIdentity() =>
        new(NodeIdentity.LoadOrCreateId(DataPath), FleetConfigFile.Read(DataPath)?.NodeName ?? NodeIdentity.DefaultName());

    /// <summary>The fleet settings (registry masked), or null when this node has not joined a fleet.</summary>
    public FleetMembership? GetFleetMembership() => FleetConfigFile.Read(DataPath);

    /// <summary>
    /// Stores the registry URI (encrypted) and the node's name. Checks the URI's form only; callers that can reach
    /// the registry (the CLI's `fleet join`) connect before calling this.
    /// </summary>
    public FleetMembership JoinFleet(string registryUri, string? nodeName = null, TimeSpan? syncInterval = null)
    {
        var backend = RegistryAddress.Parse(registryUri);
        var name = nodeName is null ? NodeIdentity.DefaultName() : NodeIdentity.ValidName(nodeName);
        var interval = syncInterval ?? FleetMembership.DefaultSyncInterval;
        if (interval < TimeSpan.FromMilliseconds(100) || interval > TimeSpan.FromHours(1))
            throw new CicdException(CicdError.InvalidArgument, $"The sync interval must be between 100 ms and 1 hour (got {interval}).", null);
        NodeIdentity.LoadOrCreateId(DataPath);
        return FleetConfigFile.Write(DataPath, _ctx.Secrets.Key, registryUri, backend, name, interval);
    }

    /// <summary>Forgets the registry (the stored credentials with it); false when this node was not in a fleet.</summary>
    public bool LeaveFleet() => FleetConfigFile.Delete(DataPath);

    /// <summary>The registry URI in clear, for connecting: never print or log it.</summary>
    internal string? RevealRegistryUri() => FleetConfigFile.RevealUri(DataPath, _ctx.Secrets.Key);
}
