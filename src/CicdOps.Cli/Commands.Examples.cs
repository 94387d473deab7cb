using System.CommandLine;

namespace CicdOps.Cli;

/// <summary>An example for every command's help, added to its description (a test checks none is missing).</summary>
internal static partial class Commands
{
    private static readonly Dictionary<string, string[]> Examples = new()
    {
        [""] = new[] { "cicdops project add shop --repo https://github.com/acme/shop.git --path /srv/shop --port 8080 --deploy" },
        ["project"] = new[] { "cicdops project list" },
        ["project add"] = new[]
        {
            "cicdops project add shop --repo https://github.com/acme/shop.git --path /srv/shop --port 8080",
            "cicdops project add api --repo git@github.com:acme/api.git --path /srv/api --branch release --deploy",
        },
        ["project list"] = new[] { "cicdops project list --json" },
        ["project show"] = new[] { "cicdops project show shop" },
        ["project set"] = new[]
        {
            "cicdops project set shop --branch release --health-timeout 30", "cicdops project set shop --health-interval 10",
            "cicdops project set shop --pipeline-events push,pull_request,tag",
            "cicdops project set shop --commit-status-api https://git.example.com/api/v4",
        },
        ["project status-token"] = new[] { "cicdops project status-token shop < shop-forge-token.txt", "cicdops project status-token shop --clear" },
        ["events"] = new[] { "cicdops events", "cicdops events shop --json", "cicdops events --after 120 --json" },
        ["stats"] = new[] { "cicdops stats", "cicdops stats --json" },
        ["project remove"] = new[] { "cicdops project remove shop --remove-service-user" },
        ["project proxy"] = new[]
        {
            "cicdops project proxy shop --ports 8001,8002 --upstream-file /etc/nginx/cicdops/shop.conf",
            "cicdops project proxy shop --ports 8001,8002 --caddy-admin http://127.0.0.1:2019 --caddy-route shop",
            "cicdops project proxy shop --off",
        },
        ["project webhook-secret"] = new[] { "cicdops project webhook-secret shop < shop-webhook-secret.txt" },
        ["deploy"] = new[] { "cicdops deploy shop", "cicdops deploy shop --commit 3f2a9c1 --no-wait" },
        ["deployments"] = new[] { "cicdops deployments", "cicdops deployments shop --limit 5" },
        ["logs"] = new[] { "cicdops logs shop --follow", "cicdops logs shop --app" },
        ["cancel"] = new[] { "cicdops cancel shop" },
        ["pin"] = new[] { "cicdops pin shop", "cicdops pin shop --commit 3f2a9c1" },
        ["unpin"] = new[] { "cicdops unpin shop --deploy" },
        ["releases"] = new[] { "cicdops releases shop", "cicdops releases shop --json" },
        ["rollback"] = new[] { "cicdops rollback shop", "cicdops rollback shop --commit 3f2a9c1 --pin" },
        ["secret"] = new[] { "cicdops secret list shop" },
        ["secret set"] = new[] { "cicdops secret set shop DATABASE_URL < database-url.txt" },
        ["secret list"] = new[] { "cicdops secret list shop --json" },
        ["secret remove"] = new[] { "cicdops secret remove shop DATABASE_URL" },
        ["notify"] = new[] { "cicdops notify list" },
        ["notify add"] = new[]
        {
            "cicdops notify add ops --type slack --url - --events deployment-failed,deployment-rolled-back < slack-url.txt",
            "cicdops notify add hooks --type webhook --url https://ops.example.com/cicd --secret-file hook-secret.txt --projects shop,api",
            "cicdops notify add mail --type email --url smtp://mail.example.com:587 --user cicd --password-file smtp-pass.txt --from cicd@example.com --to ops@example.com",
        },
        ["notify list"] = new[] { "cicdops notify list --json" },
        ["notify set"] = new[] { "cicdops notify set ops --min-interval 30m --all-projects" },
        ["notify remove"] = new[] { "cicdops notify remove ops" },
        ["notify history"] = new[] { "cicdops notify history ops --limit 10" },
        ["notify test"] = new[] { "cicdops notify test ops" },
        ["listen"] = new[] { "CICDOPS_WEBHOOK_SECRET=... cicdops listen --bind 127.0.0.1", "cicdops listen --webhook-secret-file /etc/cicdops/secret --sample-interval 5", "cicdops listen --bind 127.0.0.1 --dashboard --webhook-secret-file /etc/cicdops/secret" },
        ["deliveries"] = new[] { "cicdops deliveries --provider github --limit 10" },
        ["service"] = new[] { "cicdops service install --dry-run" },
        ["service install"] = new[] { "cicdops service install --port 9641", "cicdops service install --sample-interval 10 --no-watchdog --dry-run", "cicdops service install --bind 127.0.0.1 --dashboard" },
        ["service uninstall"] = new[] { "cicdops service uninstall" },
        ["service status"] = new[] { "cicdops service status" },
        ["deliveries prune"] = new[] { "cicdops deliveries prune --older-than-days 7" },
        ["deliveries unverified"] = new[] { "cicdops deliveries unverified --json" },
        ["backup"] = new[] { "cicdops backup /root/backups/cicdops-$(date +%F).db" },
        ["fleet"] = new[] { "cicdops fleet", "cicdops fleet --json" },
        ["fleet watch"] = new[] { "cicdops fleet watch", "cicdops fleet watch --json --project shop | jq 'select(.health == \"Unhealthy\")'" },
        ["token"] = new[] { "cicdops token list" },
        ["token create"] = new[] { "cicdops token create --scope read --name dashboard --expires 90d" },
        ["token list"] = new[] { "cicdops token list --json" },
        ["token revoke"] = new[] { "cicdops token revoke dashboard" },
        ["dashboard"] = new[] { "cicdops dashboard login --role operator --base-url https://deploy.example.com:9641" },
        ["dashboard login"] = new[] { "cicdops dashboard login --role viewer --base-url https://deploy.example.com:9641", "cicdops dashboard login --role operator --valid-for 5m" },
        ["dashboard sessions"] = new[] { "cicdops dashboard sessions --all" },
        ["dashboard revoke"] = new[] { "cicdops dashboard revoke 3" },
        ["fleet join"] = new[] { "cicdops fleet join --registry - --name web-1 < registry-uri.txt" },
        ["fleet leave"] = new[] { "cicdops fleet leave" },
        ["fleet status"] = new[] { "cicdops fleet status --json" },
        ["fleet sync"] = new[] { "cicdops fleet sync --once" },
        ["fleet deploy"] = new[] { "cicdops fleet deploy shop", "cicdops fleet deploy shop --commit 3f2a9c1 --waves --wave-size 25 --rollback-on-failure" },
        ["fleet pin"] = new[] { "cicdops fleet pin shop --commit 3f2a9c1" },
        ["fleet unpin"] = new[] { "cicdops fleet unpin shop" },
        ["fleet rollback"] = new[] { "cicdops fleet rollback shop", "cicdops fleet rollback shop --commit 3f2a9c1 --rollback-on-failure" },
        ["fleet rollouts"] = new[] { "cicdops fleet rollouts", "cicdops fleet rollouts --project shop --json" },
        ["fleet rollout"] = new[] { "cicdops fleet rollout 4f1c2a9be03d" },
        ["pipeline"] = new[] { "cicdops pipeline validate" },
        ["pipeline validate"] = new[] { "cicdops pipeline validate .cicd/pipeline.json", "cicdops pipeline validate --json" },
        ["pipeline run"] = new[] { "cicdops pipeline run shop", "cicdops pipeline run shop --commit 3f2a9c1 --event push" },
        ["pipeline runs"] = new[] { "cicdops pipeline runs shop --json" },
        ["pipeline logs"] = new[] { "cicdops pipeline logs 20261130151200-3f2a9c1b --follow", "cicdops pipeline logs 20261130151200-3f2a9c1b --step 1" },
        ["pipeline cancel"] = new[] { "cicdops pipeline cancel 20261130151200-3f2a9c1b" },
        ["artifacts"] = new[]
        {
            "cicdops artifacts shop", "cicdops artifacts shop --run 20261130151200-3f2a9c1b --json",
            "cicdops artifacts shop --run 20261130151200-3f2a9c1b --key dist-main --out dist.tar", "cicdops artifacts shop --cache",
        },
    };

    /// <summary>Appends each command's examples to its description; hidden commands have none.</summary>
    private static void AddExamples(Command command, string path)
    {
        if (!command.Hidden && Examples.TryGetValue(path, out var lines))
            command.Description = $"{command.Description?.TrimEnd()}\n\n{(lines.Length == 1 ? "Example" : "Examples")}:\n  {string.Join("\n  ", lines)}";
        foreach (var sub in command.Subcommands) AddExamples(sub, path.Length == 0 ? sub.Name : path + " " + sub.Name);
    }
}
