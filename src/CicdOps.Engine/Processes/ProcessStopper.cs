namespace CicdOps.Engine.Processes;

/// <summary>Stops processes the polite way first: SIGTERM, a grace period, then SIGKILL.</summary>
internal static class ProcessStopper
{
    /// <summary>Stops a whole process group (never our own). Returns true when something was running.</summary>
    public static async Task<bool> StopGroupAsync(int pgid, TimeSpan grace)
    {
        if (pgid <= 1 || pgid == Posix.OwnProcessGroup || !Posix.Exists(-pgid)) return false;
        Posix.Kill(-pgid, Posix.SIGTERM);
        if (!await WaitGoneAsync(() => GroupAlive(pgid), grace)) Posix.Kill(-pgid, Posix.SIGKILL);
        await WaitGoneAsync(() => GroupAlive(pgid), TimeSpan.FromSeconds(5));
        return true;
    }

    /// <summary>A group counts as alive while any member is alive and not a zombie.</summary>
    private static bool GroupAlive(int pgid)
    {
        if (!Posix.Exists(-pgid)) return false;
        if (!OperatingSystem.IsLinux()) return true;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            if (Posix.ProcessGroupOf(pid) == pgid && !ProcFs.IsZombie(pid)) return true;
        }
        return false;
    }

    private static async Task<bool> WaitGoneAsync(Func<bool> alive, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        var delay = 5;
        while (alive())
        {
            if (DateTime.UtcNow >= until) return false;
            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 100);
        }
        return true;
    }
}
