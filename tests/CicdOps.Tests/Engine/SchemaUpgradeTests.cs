using CicdOps.Engine;
using CicdOps.Engine.State;
using CicdOps.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CicdOps.Tests.Engine;

/// <summary>A database written by an older CicdOps opens at the current schema with its data.</summary>
public sealed class SchemaUpgradeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void An_old_database_upgrades_to_the_current_schema_and_keeps_its_projects_and_history(int version)
    {
        using var tmp = new TempDirectory();
        var data = tmp.Combine("data");
        Directory.CreateDirectory(data);
        var file = Path.Combine(data, "cicdops.db");
        using (var c = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = string.Concat(Enumerable.Range(1, version).Select(Schema.Script)) + $"""
                PRAGMA journal_mode=WAL;
                INSERT INTO projects (name, repository, branch, path, port, install_timeout_ms, health_timeout_ms, status, current_commit,
                    last_good_commit, created_at, updated_at)
                VALUES ('legacy', 'file:///srv/git/legacy.git', 'main', '/srv/legacy', 8080, 60000, 15000, 'Healthy', '{new string('a', 40)}',
                    '{new string('a', 40)}', 1, 1);
                INSERT INTO deployments (project, commit_sha, branch, trigger, status, queued_at, started_at, finished_at, log_path)
                VALUES ('legacy', '{new string('a', 40)}', 'main', 'Manual', 'Succeeded', 1, 2, 3, '/x.log');
                PRAGMA user_version = {version};
                """;
            cmd.ExecuteNonQuery();
        }

        using var engine = CicdEngine.Open(new EngineOptions { DataPath = data });

        var p = engine.GetProject("legacy");
        Assert.Equal(("file:///srv/git/legacy.git", 8080, new string('a', 40)), (p.Repository, p.Port, p.CurrentCommit));
        Assert.Equal(DeploymentStatus.Succeeded, engine.GetDeployments("legacy").Single().Status);
        SqliteConnection.ClearAllPools();
        using var check = new SqliteConnection($"Data Source={file};Pooling=False");
        check.Open();
        using var q = check.CreateCommand();
        q.CommandText = "PRAGMA user_version";
        Assert.Equal((long)Schema.LatestVersion, q.ExecuteScalar());
        // Tables of later versions exist and work.
        Assert.Empty(engine.GetWebhookDeliveries());
        Assert.Empty(engine.GetSecrets("legacy"));
    }
}
