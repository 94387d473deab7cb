namespace CicdOps.Engine.Processes;

/// <summary>
/// Kernel-enforced limits for a unit (a pipeline run): memory in bytes (no swap beyond it), CPU in cores (a
/// CFS quota: 1.5 = one and a half cores' time per period) and the most processes/threads at once (fork bombs).
/// </summary>
internal sealed record ResourceLimits(long MemoryBytes, double Cpus, int Pids)
{
    /// <summary>"2 GB", "64 MB": how a memory limit is named in reasons and logs.</summary>
    public static string Size(long bytes) =>
        bytes % (1L << 30) == 0 ? $"{bytes >> 30} GB" : $"{Math.Round(bytes / (double)(1 << 20), 1)} MB";
}
