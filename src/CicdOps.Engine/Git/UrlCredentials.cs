namespace CicdOps.Engine.Git;

/// <summary>
/// Keeps the credentials of an http(s) repository URL off git's command line, which every account on the machine
/// can read (/proc/PID/cmdline, ps): git gets the URL without them, and a constant credential helper hands them
/// over from its environment, which only the process's own account (and root) can read.
/// </summary>
internal static class UrlCredentials
{
    private const string UserVariable = "CICDOPS_GIT_USERNAME";
    private const string PasswordVariable = "CICDOPS_GIT_PASSWORD";

    // Constant shell text: the values arrive in the environment, never in the script. Only "get" is answered.
    private const string Helper =
        "!f() { test \"$1\" = get || exit 0; printf 'username=%s\\npassword=%s\\n' \"$" + UserVariable + "\" \"$" + PasswordVariable + "\"; }; f";

    /// <summary>The URL without its userinfo and the decoded user and password; null when it carries none (or is not http/https).</summary>
    public static (string Url, string User, string Password)? Split(string argument)
    {
        if (!argument.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !argument.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return null;
        var start = argument.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = argument.IndexOfAny(new[] { '/', '?', '#' }, start);
        if (end < 0) end = argument.Length;
        var at = end > start ? argument.LastIndexOf('@', end - 1, end - start) : -1;
        if (at < start) return null;
        var info = argument[start..at];
        var colon = info.IndexOf(':');
        var user = Uri.UnescapeDataString(colon < 0 ? info : info[..colon]);
        var password = colon < 0 ? "" : Uri.UnescapeDataString(info[(colon + 1)..]);
        return (argument[..start] + argument[(at + 1)..], user, password);
    }

    /// <summary>
    /// Rewrites <paramref name="args"/> in place (URLs without credentials) and returns the git options and
    /// environment that supply them instead; (empty, empty) when no argument carries credentials.
    /// </summary>
    public static (IReadOnlyList<string> Options, IReadOnlyDictionary<string, string> Environment) Extract(List<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (Split(args[i]) is not { } split) continue;
            args[i] = split.Url;
            // An empty helper first: no helper configured elsewhere answers before ours.
            return (new[] { "-c", "credential.helper=", "-c", "credential.helper=" + Helper },
                new Dictionary<string, string> { [UserVariable] = split.User, [PasswordVariable] = split.Password });
        }
        return (Array.Empty<string>(), new Dictionary<string, string>());
    }
}
