namespace CicdOps.Engine.Sandbox;

/// <summary>Picks the sandbox for this process: root on Linux → per-project accounts; otherwise the current user.</summary>
internal static class ProjectSandboxFactory
{
    public static IProjectSandbox Create(string dataPath, string? homeRoot = null, string? sudoersDirectory = null)
    {
        if (!OperatingSystem.IsLinux())
            return new CurrentUserSandbox("CicdOps has no sandbox for this platform yet");
        if (!UnixIds.IsRoot)
            return new CurrentUserSandbox("CicdOps is not running as root", dataPath);
        // As root, silently running projects as root is never an acceptable fallback.
        if (ToolRunner.Find("setpriv") is null)
            throw new CicdException(CicdError.ServiceUserFailed, "CicdOps runs as root but 'setpriv' (util-linux) is missing, so projects cannot be run as their own users.", "setpriv",
                "Install util-linux (apt-get install util-linux), or run CicdOps as an unprivileged user.");
        return new UnixProjectSandbox(homeRoot, sudoersDirectory, dataPath);
    }
}
