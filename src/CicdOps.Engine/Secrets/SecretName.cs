using System.Text.RegularExpressions;

namespace CicdOps.Engine.Secrets;

/// <summary>
/// Secret names become environment variable names in the project's processes, so they follow the
/// portable rule <c>[A-Za-z_][A-Za-z0-9_]*</c> (at most 255 characters) and may not take a name the
/// engine sets itself or one that changes how a program is loaded or how a shell reads a script.
/// Reserved (case-insensitive):
/// <list type="bullet">
/// <item>prefix <c>CICD_</c>: the engine's own variables;</item>
/// <item>HOME, PATH, USER, LOGNAME, SHELL, LANG, LANGUAGE, TERM, PWD, OLDPWD, TZ, TMPDIR and <c>LC_*</c>: the clean
/// base environment;</item>
/// <item><c>LD_*</c>, <c>MALLOC_*</c>, <c>GLIBC_*</c>, GCONV_PATH, GETCONF_DIR, HOSTALIASES, LOCALDOMAIN, LOCPATH,
/// NIS_PATH, NLSPATH, RESOLV_HOST_CONF, RES_OPTIONS, TZDIR: the loader variables glibc drops for setuid
/// programs; the launcher (setpriv) starts as root with this environment, so they must never reach it;</item>
/// <item>BASH_ENV, ENV, IFS, PS4, SHELLOPTS, BASHOPTS, CDPATH, GLOBIGNORE and <c>BASH_FUNC_*</c>: they change what
/// install.sh/run.sh/health.sh execute.</item>
/// </list>
/// </summary>
public static class SecretName
{
    public const int MaxLength = 255;

    private static readonly Regex Shape = new(@"\A[A-Za-z_][A-Za-z0-9_]*\z", RegexOptions.CultureInvariant);

    private static readonly HashSet<string> ReservedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "HOME", "PATH", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "PWD", "OLDPWD", "TZ", "TMPDIR",
        "GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH", "NIS_PATH", "NLSPATH",
        "RESOLV_HOST_CONF", "RES_OPTIONS", "TZDIR",
        "BASH_ENV", "ENV", "IFS", "PS4", "SHELLOPTS", "BASHOPTS", "CDPATH", "GLOBIGNORE",
    };

    private static readonly string[] ReservedPrefixes = { "CICD_", "LC_", "LD_", "MALLOC_", "GLIBC_", "BASH_FUNC_" };

    /// <summary>True when <paramref name="name"/> has the shape of an environment variable name (reserved or not).</summary>
    public static bool HasValidShape(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxLength && Shape.IsMatch(name);

    /// <summary>True when the engine or the loader owns this name, so neither a secret nor a caller may set it.</summary>
    public static bool IsReserved(string name)
    {
        if (ReservedNames.Contains(name)) return true;
        foreach (var p in ReservedPrefixes)
            if (name.StartsWith(p, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>Throws <see cref="CicdError.InvalidSecretName"/> unless <paramref name="name"/> can be a secret name.</summary>
    public static void Validate(string? name)
    {
        if (!HasValidShape(name))
            throw new CicdException(CicdError.InvalidSecretName,
                $"Secret name '{SafeText.Printable(name)}' is not valid: use letters, digits and '_', not starting with a digit, at most {MaxLength} characters.",
                name, "Choose a name such as DATABASE_URL.");
        if (IsReserved(name!))
            throw new CicdException(CicdError.InvalidSecretName,
                $"Secret name '{name}' is reserved (the engine or the program loader sets it).", name,
                "Choose another name; names starting with CICD_, LD_, LC_ and names such as PATH or HOME are reserved.");
    }
}
