using System.CommandLine;
using System.Globalization;
using CicdOps.Engine;

namespace CicdOps.Cli;

/// <summary>
/// `token create|list|revoke`: bearer tokens for the listener's /api endpoints. A token's value is printed once, by
/// create; only a hash of it is stored.
/// </summary>
internal static partial class Commands
{
    private static Command Token()
    {
        var token = new Command("token", "Create, list and revoke API tokens for the listener's /api endpoints (fleet snapshot and stream)");
        token.Add(TokenCreate());
        token.Add(TokenList());
        token.Add(TokenRevoke());
        return token;
    }

    private static Command TokenCreate()
    {
        var scope = new Option<string>("--scope") { Description = "read (snapshot and stream) or operate (read, and act on the fleet)", HelpName = "read|operate", Required = true };
        var name = new Option<string?>("--name") { Description = "A name to list and revoke it by [default: token-ID]", HelpName = "NAME" };
        var expires = new Option<string?>("--expires")
        {
            Description = "When it stops working: a duration (30d, 12h, 90m) or an ISO 8601 time [default: never]", HelpName = "WHEN",
        };
        var json = JsonOption();
        var cmd = new Command("create", "Create a token and print it once (store it now: it cannot be shown again)") { scope, name, expires, json };
        Act(cmd, pr =>
        {
            var s = pr.GetValue(scope)!.ToLowerInvariant() switch
            {
                "read" => ApiTokenScope.Read,
                "operate" => ApiTokenScope.Operate,
                var other => throw new CicdException(CicdError.InvalidArgument, $"--scope must be read or operate, not '{Output.OneLine(other)}'."),
            };
            var until = pr.GetValue(expires) is { } e ? ParseExpiry(e) : (DateTimeOffset?)null;
            using var engine = Open(pr);
            var created = engine.CreateApiToken(s, pr.GetValue(name), until);
            if (pr.GetValue(json))
            {
                Output.WriteJson(new { created.Id, created.Name, created.Scope, created.ExpiresAt, created.Token });
                return ExitCodes.Ok;
            }
            Console.Out.WriteLine(created.Token);
            Console.Error.WriteLine($"token {created.Name} (id {created.Id}, scope {created.Scope.ToString().ToLowerInvariant()}" +
                (created.ExpiresAt is { } x ? $", expires {Output.Time(x)}" : "") + "): shown once; send it as `Authorization: Bearer TOKEN`");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>"30d", "12h", "90m" from now, or an absolute ISO 8601 time.</summary>
    private static DateTimeOffset ParseExpiry(string text)
    {
        var t = text.Trim();
        if (t.Length >= 2 && long.TryParse(t[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? span = t[^1] switch { 'd' => TimeSpan.FromDays(n), 'h' => TimeSpan.FromHours(n), 'm' => TimeSpan.FromMinutes(n), _ => null };
            if (span is { } s) return DateTimeOffset.UtcNow + s;
        }
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return at;
        throw new CicdException(CicdError.InvalidArgument, $"--expires must be a duration such as 30d, 12h or 90m, or an ISO 8601 time, not '{Output.OneLine(text)}'.");
    }

    private static Command TokenList()
    {
        var json = JsonOption();
        var cmd = new Command("list", "List API tokens (never their values)") { json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var tokens = engine.GetApiTokens();
            if (pr.GetValue(json))
            {
                Output.WriteJson(tokens);
                return ExitCodes.Ok;
            }
            var now = DateTimeOffset.UtcNow;
            Output.Table(new[] { "ID", "NAME", "SCOPE", "STATE", "CREATED", "EXPIRES", "LAST USED" },
                tokens.Select(t => (IReadOnlyList<string>)new[]
                {
                    t.Id.ToString(CultureInfo.InvariantCulture), t.Name, t.Scope.ToString().ToLowerInvariant(),
                    t.IsRevoked ? "revoked" : t.IsExpiredAt(now) ? "expired" : "active",
                    Output.Time(t.CreatedAt), t.ExpiresAt is { } e ? Output.Time(e) : "never", t.LastUsedAt is { } u ? Output.Time(u) : "-",
                }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command TokenRevoke()
    {
        var which = new Argument<string>("NAME|ID") { Description = "The token's name or id (from `cicdops token list`)" };
        var cmd = new Command("revoke", "Revoke a token: requests with it are refused (401) from now on") { which };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var t = engine.RevokeApiToken(pr.GetValue(which)!);
            Console.Out.WriteLine($"revoked token {t.Name} (id {t.Id})");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
