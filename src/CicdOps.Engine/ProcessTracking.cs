namespace CicdOps.Engine;

/// <summary>
/// How the engine knows which processes are a project's (see docs/architecture.md, "Process tracking").
/// <see cref="Auto"/> picks the first the kernel offers: cgroup v1 (pids hierarchy), cgroup v2, then the
/// process group. Forcing a cgroup mechanism that is not available fails when the engine opens.
/// </summary>
public enum ProcessTracking
{
    Auto,
    CgroupV1,
    CgroupV2,
    /// <summary>No cgroups: a process group per launch (non-root, or no writable cgroup fs). setsid escapes are not seen.</summary>
    ProcessGroup,
}
