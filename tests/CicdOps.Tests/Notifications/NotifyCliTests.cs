using System.Text.Json;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Notifications;

/// <summary>`cicdops notify …` as a real child process.</summary>
[Collection("cli")]
public sealed class NotifyCliTests
{
    [Fact]
    public void Add_from_stdin_list_test_history_set_and_remove_never_print_the_url_token()
    {
        using var cli = new CliHarness();
        using var r = new HttpReceiver();
        var url = r.Url("/services/T0KEN-abcdef123456");
        using (var p = cli.Start("notify", "add", "ops", "--type", "slack", "--url", "-", "--events", "deployment-failed,deployment-rolled-back", "--min-interval", "30m"))
        {
            p.StandardInput.WriteLine(url);
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, stderr);
            Assert.Contains($"ops: slack channel added (http://127.0.0.1:{r.Port}/***)", stdout);
        }
        File.WriteAllText(Path.Combine(cli.Root, "hook.key"), "whsec-0123456789abcdef\n");
        cli.Run("notify", "add", "hooks", "--type", "webhook", "--url", r.Url("/hooks/T0KEN-abcdef123456"), "--secret-file", Path.Combine(cli.Root, "hook.key"),
            "--projects", "shop", "--projects", "api").ShouldExit(0);

        var list = cli.Run("notify", "list").ShouldExit(0).StdOut;
        Assert.Contains("deployment-failed,deployment-rolled-back", list);
        Assert.Contains("shop,api", list);
        Assert.Contains("30m00s", list);
        var json = cli.Run("notify", "list", "--json").ShouldExit(0).StdOut;
        using (var doc = JsonDocument.Parse(json))
        {
            var ops = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "ops");
            Assert.Equal("Slack", ops.GetProperty("type").GetString());
            Assert.Equal(["DeploymentFailed", "DeploymentRolledBack"], ops.GetProperty("events").EnumerateArray().Select(e => e.GetString()).ToArray());
        }

        var test = cli.Run("notify", "test", "ops").ShouldExit(0);
        Assert.Contains("ops: test message sent (HTTP 200 OK)", test.StdOut);
        Assert.Contains("test message", r.WaitFor(1)[0].Text);
        r.Script.Enqueue((403, "invalid_token"));
        var refused = cli.Run("notify", "test", "ops").ShouldExit(1);
        Assert.Equal("cicdops: ops: the test message was not delivered: HTTP 403 Forbidden: invalid_token", refused.StdErr.Trim());

        cli.Run("notify", "set", "ops", "--all-events", "--min-interval", "0").ShouldExit(0);
        Assert.Contains("all", cli.Run("notify", "list").StdOut.Split('\n').Single(l => l.StartsWith("ops ")));
        Assert.Equal("[]", cli.Run("notify", "history", "--json").ShouldExit(0).StdOut.Trim());

        cli.Run("notify", "remove", "hooks").ShouldExit(0);
        var gone = cli.Run("notify", "remove", "hooks").ShouldExit(1);
        Assert.Equal("cicdops: No notification channel named 'hooks'. Channels: ops.", gone.StdErr.Trim());

        var everything = string.Join("\n", list, json, test.StdOut, refused.StdErr);
        Assert.DoesNotContain("T0KEN", everything);
    }

    public static TheoryData<string, string[], string> BadInput => new()
    {
        { "unknown event", ["notify", "add", "x", "--type", "slack", "--url", "https://hooks.slack.com/services/A/B/C", "--events", "deploy-broke"], "Unknown notification event 'deploy-broke'" },
        { "webhook without secret", ["notify", "add", "x", "--type", "webhook", "--url", "https://ops.example.com/hook"], "--secret-file FILE" },
        { "http off loopback", ["notify", "add", "x", "--type", "discord", "--url", "http://discord.example.com/api/webhooks/1/abc"], "https://" },
        { "email without recipients", ["notify", "add", "x", "--type", "email", "--url", "smtp://mail.example.com", "--from", "a@example.com"], "--to ADDRESS" },
        { "bad duration", ["notify", "add", "x", "--type", "slack", "--url", "https://hooks.slack.com/services/A/B/C", "--min-interval", "soon"], "is not a duration" },
        { "bad name", ["notify", "add", "Bad Name", "--type", "slack", "--url", "https://hooks.slack.com/services/A/B/C"], "Invalid channel name" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public void Bad_input_is_one_line_exit_1_and_adds_nothing(string because, string[] args, string expected)
    {
        using var cli = new CliHarness();
        var r = cli.Run(args).ShouldExit(1);
        Assert.True(r.ErrLines.Length == 1, because + ": " + r.StdErr);
        Assert.Contains(expected, r.StdErr);
        Assert.Equal("[]", cli.Run("notify", "list", "--json").ShouldExit(0).StdOut.Trim());
    }
}
