using CicdOps.Engine.Processes;

namespace CicdOps.Engine.State;

/// <summary>
/// Names a runner as host:pid:start-ticks:nonce. On the same host, a runner whose process is gone (or whose
/// pid was reused, caught by the start time) is known dead at once instead of after its lease expires.
/// </summary>
internal static class RunnerIdentity
{
    private static readonly string Host = Environment.MachineName;
    private static readonly long? OwnStart = ProcFs.StartTicks(Environment.ProcessId);

    public static string NewOwner() => $"{Host}:{Environment.ProcessId}:{OwnStart?.ToString() ?? "-"}:{Guid.NewGuid():N}";

    public static int? Pid(string owner) => owner.Split(':') is { Length: 4 } f && int.TryParse(f[1], out var pid) ? pid : null;

    public static bool IsAlive(string owner)
    {
        var f = owner.Split(':');
        if (f.Length != 4 || f[0] != Host || !int.TryParse(f[1], out var pid)) return true; // another host: trust the expiry
        if (pid == Environment.ProcessId) return true;
        return ProcFs.IsAlive(pid, long.TryParse(f[2], out var t) ? t : null);
    }
}
