using System.CommandLine;
using System.Text;

namespace CicdOps.Cli;

/// <summary>`secret set|list|remove`: values arrive on stdin only, and are never printed.</summary>
internal static partial class Commands
{
    private static Command Secret()
    {
        var secret = new Command("secret", "Set, list and remove a project's secrets (injected as environment variables; never shown)");
        secret.Add(SecretSet());
        secret.Add(SecretList());
        secret.Add(SecretRemove());
        return secret;
    }

    private static Argument<string> SecretNameArgument() => new("SECRET") { Description = "The variable name, e.g. API_KEY" };

    private static Command SecretSet()
    {
        var project = NameArgument();
        var name = SecretNameArgument();
        var cmd = new Command("set", "Set a secret from stdin (e.g. `cicdops secret set app API_KEY < key.txt`; one trailing newline is dropped)") { project, name };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            // Validate names before reading, so a typo does not consume the value first.
            engine.GetProject(pr.GetValue(project)!);
            if (!Console.IsInputRedirected) Console.Error.WriteLine("Enter the value, then Ctrl+D:");
            var value = ReadValue();
            try
            {
                var info = engine.SetSecret(pr.GetValue(project)!, pr.GetValue(name)!, value);
                Console.Out.WriteLine($"{info.Project}: secret {info.Name} set (used from the next deployment)");
            }
            finally { Array.Clear(value); }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>All of stdin as UTF-8 bytes, without one trailing newline (what `echo` and editors add).</summary>
    private static byte[] ReadValue()
    {
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var n = bytes.Length;
        if (n > 0 && bytes[n - 1] == '\n') n--;
        if (n > 0 && bytes[n - 1] == '\r') n--;
        var value = bytes[..n];
        Array.Clear(bytes);
        return value;
    }

    private static Command ProjectWebhookSecret()
    {
        var project = NameArgument();
        var clear = new Option<bool>("--clear") { Description = "Remove the project's own secret (the listener's global secret applies again)" };
        var cmd = new Command("webhook-secret", "Set the project's own webhook secret from stdin; it overrides the listener's global secret for this project")
            { project, clear };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var name = engine.GetProject(pr.GetValue(project)!).Name;
            if (pr.GetValue(clear))
            {
                Console.Out.WriteLine(engine.RemoveProjectWebhookSecret(name)
                    ? $"{name}: webhook secret removed (the listener's global secret applies)"
                    : $"{name}: had no webhook secret of its own");
                return ExitCodes.Ok;
            }
            if (!Console.IsInputRedirected) Console.Error.WriteLine("Enter the webhook secret, then Ctrl+D:");
            var value = ReadValue();
            try { engine.SetProjectWebhookSecret(name, value); }
            finally { Array.Clear(value); }
            Console.Out.WriteLine($"{name}: webhook secret set (a running listener applies it within a second)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command ProjectStatusToken()
    {
        var project = NameArgument();
        var clear = new Option<bool>("--clear") { Description = "Remove the token: pipeline runs stop reporting commit statuses" };
        var cmd = new Command("status-token",
            "Set from stdin the forge token pipeline runs report commit statuses with (pending, success, failure); stored sealed, never shown")
            { project, clear };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var name = engine.GetProject(pr.GetValue(project)!).Name;
            if (pr.GetValue(clear))
            {
                Console.Out.WriteLine(engine.RemoveCommitStatusToken(name)
                    ? $"{name}: commit status token removed (no statuses are sent)"
                    : $"{name}: had no commit status token");
                return ExitCodes.Ok;
            }
            if (!Console.IsInputRedirected) Console.Error.WriteLine("Enter the token, then Ctrl+D:");
            var value = ReadValue();
            try { engine.SetCommitStatusToken(name, value); }
            finally { Array.Clear(value); }
            Console.Out.WriteLine($"{name}: commit status token set (pipeline runs report their status from now on)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command SecretList()
    {
        var project = NameArgument();
        var json = JsonOption();
        var cmd = new Command("list", "List a project's secret names and when they were set (never the values)") { project, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var list = engine.GetSecrets(pr.GetValue(project)!);
            if (pr.GetValue(json)) { Output.WriteJson(list); return ExitCodes.Ok; }
            Output.Table(new[] { "NAME", "UPDATED" }, list.Select(s => (IReadOnlyList<string>)new[] { s.Name, Output.Time(s.UpdatedAt) }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command SecretRemove()
    {
        var project = NameArgument();
        var name = SecretNameArgument();
        var cmd = new Command("remove", "Remove a secret") { project, name };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            engine.RemoveSecret(pr.GetValue(project)!, pr.GetValue(name)!);
            Console.Out.WriteLine($"{pr.GetValue(project)}: secret {pr.GetValue(name)} removed");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
