using CicdOps.Engine.Secrets;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Builds the complete environment of a project's process from nothing: never the daemon's own variables
/// (they may hold the engine's credentials, proxies, LD_* or the CICDOPS_MASTER_KEY_FILE path).
/// Base: HOME, USER, LOGNAME, SHELL=/bin/sh, a standard PATH and LANG=C.UTF-8; then the engine's
/// variables (CICD_*, PORT…); then the project's secrets.
/// </summary>
internal static class LaunchEnvironment
{
    public const string StandardPath = ToolRunner.StandardPath;

    public static Dictionary<string, string> Build(
        ServiceAccount account,
        IReadOnlyDictionary<string, string>? engineVariables,
        IReadOnlyDictionary<string, string>? secrets)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = account.Home,
            ["USER"] = account.Name,
            ["LOGNAME"] = account.Name,
            ["SHELL"] = "/bin/sh",
            ["PATH"] = StandardPath,
            ["LANG"] = "C.UTF-8",
        };
        foreach (var (name, value) in engineVariables ?? new Dictionary<string, string>())
        {
            // The engine's own variables may use CICD_*; loader and base names stay off-limits even for it.
            if (!SecretName.HasValidShape(name) || (SecretName.IsReserved(name) && !name.StartsWith("CICD_", StringComparison.Ordinal)))
                throw new ArgumentException($"'{SafeText.Printable(name)}' cannot be set in a project's environment.", nameof(engineVariables));
            env[name] = RequireNoNul(name, value);
        }
        foreach (var (name, value) in secrets ?? new Dictionary<string, string>())
        {
            SecretName.Validate(name);
            if (env.ContainsKey(name))
                throw new CicdException(CicdError.InvalidSecretName, $"Secret '{name}' has the name of a variable the engine sets.", name);
            env[name] = RequireNoNul(name, value);
        }
        return env;
    }

    // execve cannot carry NUL; failing here beats a truncated value. The message never includes the value.
    private static string RequireNoNul(string name, string value) =>
        value.Contains('\0') ? throw new ArgumentException($"The value of '{name}' contains NUL.") : value;
}
