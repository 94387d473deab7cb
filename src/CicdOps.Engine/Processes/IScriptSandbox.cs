using CicdOps.Engine.Model;

namespace CicdOps.Engine.Processes;

/// <summary>
/// The seam between the runner and the operating system's idea of "who runs this script". The Unix
/// implementation drops to the project's service user; the current-user one runs everything as we are.
/// </summary>
internal interface IScriptSandbox
{
    bool IsSandboxed { get; }

    /// <summary>Why projects are not sandboxed (shown once per session), or null when they are.</summary>
    string? NotSandboxedReason { get; }

    /// <summary>Called before each deploy: make the project's tree and its writable directories its own.</summary>
    void PrepareProject(Project project, IReadOnlyList<string> writableDirectories);

    /// <summary>Wraps a script's argument list and environment so it runs with the project's identity.</summary>
    LaunchSpec Wrap(Project project, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment);
}

/// <summary>Runs scripts as the engine's own account, with the engine's environment plus the CICD_* variables.</summary>
internal sealed class CurrentUserSandbox : IScriptSandbox
{
    public bool IsSandboxed => false;

    public string? NotSandboxedReason =>
        $"CicdOps is not running as root: project scripts run as '{Environment.UserName}', not as a dedicated user.";

    public void PrepareProject(Project project, IReadOnlyList<string> writableDirectories)
    {
        foreach (var d in writableDirectories) Directory.CreateDirectory(d);
    }

    public LaunchSpec Wrap(Project project, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment) =>
        new(argv, environment, CleanEnvironment: false);
}
