namespace Microsoft.Data.Sqlite;

/// <summary>Same full name as the real type, none of its members: binding the engine to this assembly must fail.</summary>
public sealed class SqliteConnection
{
    public static string Impostor => "conflicting Microsoft.Data.Sqlite 1.0.0.0";
}
