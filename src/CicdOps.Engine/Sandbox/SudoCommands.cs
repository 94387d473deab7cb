using System.Text.RegularExpressions;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// The commands a project's install.sh may run through sudo. Each is an absolute program path, optionally
/// followed by fixed arguments (then sudo allows exactly those; a bare path allows any arguments). Only
/// letters, digits and <c>_ . / + - @</c> are accepted, so nothing a user types can change the meaning
/// of the sudoers line (no <c>, : = \ * ? [ ! # "</c>, no newline). The literal <c>ALL</c>, alone, grants
/// everything, and is warned about each time it is used.
/// </summary>
public static class SudoCommands
{
    public const string All = "ALL";
    public const int MaxCount = 32;
    public const int MaxLength = 256;

    /// <summary>Shown whenever a grant of everything is stored or used.</summary>
    public const string AllWarning =
        "sudo grant of ALL: install.sh may run anything as root while it runs; name the commands it needs instead (--sudo-command PATH / -SudoCommand PATH).";

    private static readonly Regex Program = new(@"\A/[A-Za-z0-9_.+@-]+(/[A-Za-z0-9_.+@-]+)*\z", RegexOptions.CultureInvariant);
    private static readonly Regex Argument = new(@"\A[A-Za-z0-9_./+@-]+\z", RegexOptions.CultureInvariant);

    /// <summary>
    /// Validates and normalizes (single spaces) <paramref name="commands"/>. Throws with one line naming the
    /// bad entry and the option (<paramref name="option"/>: "--sudo-command" or "-SudoCommand").
    /// </summary>
    public static IReadOnlyList<string> Validate(IEnumerable<string>? commands, string option = "--sudo-command / -SudoCommand")
    {
        var list = new List<string>();
        foreach (var raw in commands ?? Array.Empty<string>())
        {
            var shown = Secrets.SafeText.Printable(raw);
            if (raw is null || raw.Length == 0 || raw.Length > MaxLength)
                throw Bad($"A sudo command must be 1-{MaxLength} characters: '{shown}'.", raw, option);
            if (raw.Any(ch => ch != ' ' && (char.IsControl(ch) || char.IsWhiteSpace(ch))))
                throw Bad($"The sudo command '{shown}' contains a control or whitespace character other than a space.", raw, option);
            var parts = raw.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 1 && parts[0] == All) { list.Add(All); continue; }
            if (parts.Length == 0 || !Program.IsMatch(parts[0]) || parts[0].Split('/').Any(seg => seg is "." or ".."))
                throw Bad($"The sudo command '{shown}' must start with an absolute program path (letters, digits, _ . + - @ only), e.g. /usr/bin/systemctl.", raw, option);
            var badArg = parts.Skip(1).FirstOrDefault(a => !Argument.IsMatch(a));
            if (badArg is not null)
                throw Bad($"The sudo command '{shown}' has an argument sudoers would read specially ('{Secrets.SafeText.Printable(badArg)}'); arguments may hold letters, digits and _ . / + - @ only.", raw, option);
            list.Add(string.Join(' ', parts));
        }
        if (list.Count > MaxCount) throw Bad($"At most {MaxCount} sudo commands may be granted.", null, option);
        if (list.Contains(All) && list.Count > 1)
            throw Bad("ALL already grants every command; give it alone, or name the commands without ALL.", All, option);
        return list.Distinct(StringComparer.Ordinal).ToList();
    }

    public static bool GrantsEverything(IReadOnlyList<string> commands) => commands.Count == 1 && commands[0] == All;

    /// <summary>The stored form: one command a line (a validated command holds no newline).</summary>
    internal static string? Store(IReadOnlyList<string> commands) => commands.Count == 0 ? null : string.Join('\n', commands);

    internal static IReadOnlyList<string> Load(string? stored) =>
        string.IsNullOrEmpty(stored) ? Array.Empty<string>() : stored.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static CicdException Bad(string message, string? target, string option) =>
        new(CicdError.InvalidArgument, message, target, $"Give an absolute program path with fixed arguments, e.g. {option} \"/usr/bin/systemctl restart nginx\"; ALL alone grants everything.");
}
