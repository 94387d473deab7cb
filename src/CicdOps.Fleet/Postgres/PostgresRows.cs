using Npgsql;

namespace CicdOps.Fleet.Postgres;

/// <summary>Reads the registry's rows back into the contract records (column order: PostgresRegistry's selects).</summary>
internal static class PostgresRows
{
    public static FleetProject Project(NpgsqlDataReader r) => new()
    {
        NodeId = r.GetString(0), Node = r.GetString(1), Name = r.GetString(2), Repository = r.GetString(3), Branch = r.GetString(4),
        Status = Enum.Parse<ProjectStatus>(r.GetString(5)),
        Commit = Text(r, 6), LastGoodCommit = Text(r, 7), PinnedCommit = Text(r, 8),
        Health = Enum.Parse<FleetHealth>(r.GetString(9)),
        CpuPercent = r.IsDBNull(10) ? null : r.GetDouble(10),
        MemoryBytes = r.IsDBNull(11) ? null : r.GetInt64(11),
        UpdatedAt = PostgresRegistry.ToOffset(r.GetDateTime(12)),
    };

    public static FleetDeployment Deployment(NpgsqlDataReader r) => new()
    {
        NodeId = r.GetString(0), Node = r.GetString(1), Id = r.GetInt64(2), Project = r.GetString(3), Commit = Text(r, 4),
        Trigger = Enum.Parse<DeploymentTrigger>(r.GetString(5)), Status = Enum.Parse<DeploymentStatus>(r.GetString(6)), Reason = Text(r, 7),
        QueuedAt = PostgresRegistry.ToOffset(r.GetDateTime(8)),
        StartedAt = r.IsDBNull(9) ? null : PostgresRegistry.ToOffset(r.GetDateTime(9)),
        FinishedAt = r.IsDBNull(10) ? null : PostgresRegistry.ToOffset(r.GetDateTime(10)),
    };

    public static FleetEvent Event(NpgsqlDataReader r) => new()
    {
        NodeId = r.GetString(0), Node = r.GetString(1), Sequence = r.GetInt64(2), At = PostgresRegistry.ToOffset(r.GetDateTime(3)),
        Project = Text(r, 4), Kind = Enum.Parse<FleetEventKind>(r.GetString(5)), Message = r.GetString(6),
    };

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
