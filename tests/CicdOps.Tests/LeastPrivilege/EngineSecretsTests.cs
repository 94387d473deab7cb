using System.Text;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.LeastPrivilege;

/// <summary>Secrets through the engine: injected into the project's scripts, masked in every log, encrypted at rest.</summary>
public sealed class EngineSecretsTests
{
    private const string Value = "s3cr3t-Pa55w0rd-4-tests";

    [Fact]
    public void Secrets_are_set_listed_by_name_and_removed_only_for_a_registered_project()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);

        h.Engine.SetSecret("app", "API_TOKEN", Value.AsSpan());
        h.Engine.SetSecret("app", "DB_PASSWORD", Encoding.UTF8.GetBytes("other-value"));

        Assert.Equal(new[] { "API_TOKEN", "DB_PASSWORD" }, h.Engine.GetSecrets("app").Select(s => s.Name));
        h.Engine.RemoveSecret("app", "API_TOKEN");
        Assert.Equal(new[] { "DB_PASSWORD" }, h.Engine.GetSecrets("app").Select(s => s.Name));
        Assert.Equal("CicdSecretNotFound", Assert.Throws<CicdException>(() => h.Engine.RemoveSecret("app", "API_TOKEN")).ErrorId);
        Assert.Equal("CicdProjectNotFound", Assert.Throws<CicdException>(() => h.Engine.SetSecret("nope", "X_Y", "v".AsSpan())).ErrorId);
        Assert.Equal("CicdProjectNotFound", Assert.Throws<CicdException>(() => h.Engine.GetSecrets("nope")).ErrorId);
        Assert.Equal("CicdInvalidSecretName", Assert.Throws<CicdException>(() => h.Engine.SetSecret("app", "PATH", "v".AsSpan())).ErrorId);
    }

    [Fact]
    public void A_secret_echoed_whole_split_or_base64_reaches_app_log_and_deployment_log_only_as_stars()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var echo = """
            echo "whole:$API_TOKEN"
            printf 'split:%s' "${API_TOKEN:0:9}"; sleep 0.1; printf '%s\n' "${API_TOKEN:9}"
            echo "b64:$(printf %s "$API_TOKEN" | base64)"
            """;
        repo.Write(".cicd/install.sh", "#!/bin/bash\n" + echo + "\n");
        repo.Write(".cicd/health.sh", "#!/bin/bash\n" + echo + "\n");
        repo.Write(".cicd/run.sh", "#!/bin/bash\n" + echo + "\necho app-done\nexec sleep 300\n");
        repo.CommitAndPush();
        h.Register(repo);
        h.Engine.SetSecret("app", "API_TOKEN", Value.AsSpan());

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        var appLog = h.AppLog("app", "app-done");
        var deployLog = h.Log(d);
        foreach (var (name, text) in new[] { ("app.log", appLog), ("deployment log", deployLog) })
        {
            Assert.Contains("whole:***", text);
            Assert.Contains("split:***", text);
            Assert.Contains("b64:***", text);
            AssertNoSecret(name, Encoding.UTF8.GetBytes(text));
        }
        // Nothing under the data directory holds it in clear (database, WAL, logs, key…).
        foreach (var file in Directory.EnumerateFiles(h.DataPath, "*", SearchOption.AllDirectories))
            AssertNoSecret(file, File.ReadAllBytes(file));
    }

    [Fact]
    public void Without_a_log_pump_the_deployment_log_says_app_output_is_not_masked()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness(logPump: false);
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Contains("app output is not masked", h.Log(d));
    }

    [Fact]
    public void A_ciphertext_moved_to_another_project_fails_to_decrypt_with_a_clear_error()
    {
        using var repoA = new TestRepository();
        using var repoB = new TestRepository();
        using var h = new EngineHarness();
        repoA.WriteSleeper("a1", h.StateDir).CommitAndPush();
        repoB.Write(".cicd/run.sh", "#!/bin/bash\nexec sleep 300\n").CommitAndPush();
        h.Register(repoA, "a");
        h.Register(repoB, "b");
        h.Engine.SetSecret("a", "API_TOKEN", Value.AsSpan());
        h.Engine.Context.Db.Write(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO secrets (project, name, nonce, ciphertext, tag, updated_at) SELECT 'b', name, nonce, ciphertext, tag, updated_at FROM secrets WHERE project = 'a'";
            cmd.ExecuteNonQuery();
        });

        var e = Assert.Throws<CicdException>(() => h.Engine.Context.Secrets.Load("b"));
        Assert.Equal("CicdSecretDecryptionFailed", e.ErrorId);
        Assert.Contains("'API_TOKEN' of project 'b' cannot be decrypted", e.Message);
        var d = h.Deploy("b");
        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains("cannot be decrypted", d.Reason);
        Assert.DoesNotContain(Value, d.Reason);
    }

    private static void AssertNoSecret(string where, byte[] content)
    {
        foreach (var needle in new[] { Value, Convert.ToBase64String(Encoding.UTF8.GetBytes(Value)) })
            Assert.False(content.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0, $"{where} holds the secret in clear");
    }
}
