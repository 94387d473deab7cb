namespace CicdOps.Engine.Processes;

/// <summary>Finds every process running as one account (from /proc), to end them before the account is deleted.</summary>
internal static class AccountProcesses
{
    /// <summary>SIGKILLs every process whose real or effective uid is <paramref name="uid"/> (never uid 0); returns how many.</summary>
    public static int KillAll(uint uid)
    {
        if (uid == 0 || !OperatingSystem.IsLinux()) return 0;
        var killed = 0;
        // Twice: a process may fork while the first pass runs.
        for (var pass = 0; pass < 2; pass++)
            foreach (var pid in Of(uid))
                if (Posix.Kill(pid, Posix.SIGKILL)) killed++;
        // A killed process stays in /proc until it is reaped, and userdel refuses the account while it does: wait
        // (bounded) until none is left, killing again whatever a late fork brought.
        var until = DateTime.UtcNow.AddSeconds(5);
        for (var left = Of(uid); left.Count > 0 && DateTime.UtcNow < until; left = Of(uid))
        {
            foreach (var pid in left) Posix.Kill(pid, Posix.SIGKILL);
            Thread.Sleep(10);
        }
        return killed;
    }

    public static List<int> Of(uint uid)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var line = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                var f = line?.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (f is { Length: > 2 } && (f[1] == uid.ToString() || f[2] == uid.ToString())) pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* gone meanwhile */ }
        }
        return pids;
    }
}
