using System.Reflection;
using CicdOps.Engine;
using CicdOps.Engine.State;
using CicdOps.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CicdOps.Tests.LeastPrivilege;

/// <summary>
/// Schema 4 replaced the allow-sudo switch (which granted everything) with named commands: a project that
/// allowed sudo keeps exactly what it had, ALL, and one that did not keeps nothing.
/// </summary>
public sealed class SudoMigrationTests
{
    [Fact]
    public void A_version_3_database_upgrades_allow_sudo_to_ALL_and_keeps_its_projects()
    {
        using var dir = new TempDirectory("cicdops-migrate");
        var data = dir.Combine("data");
        Directory.CreateDirectory(data);
        var versions = (string[])typeof(Database).Assembly.GetType("CicdOps.Engine.State.Schema")!
            .GetField("Versions", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        using (var c = new SqliteConnection($"Data Source={Path.Combine(data, Database.FileName)};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = string.Join("\n", versions.Take(3)) + """

                PRAGMA user_version = 3;
                INSERT INTO projects (name, repository, branch, path, install_timeout_ms, health_timeout_ms, status, allow_sudo, created_at, updated_at)
                VALUES ('with-sudo', 'file:///r.git', 'main', '/srv/with-sudo', 1000, 1000, 'Registered', 1, 0, 0),
                       ('without', 'file:///r.git', 'main', '/srv/without', 1000, 1000, 'Registered', 0, 0, 0);
                """;
            cmd.ExecuteNonQuery();
        }

        using var engine = CicdEngine.Open(new EngineOptions { DataPath = data });

        Assert.Equal(new[] { "ALL" }, engine.GetProject("with-sudo").SudoCommands);
        Assert.Empty(engine.GetProject("without").SudoCommands);
        Assert.Equal("/srv/without", engine.GetProject("without").Path);
    }
}
