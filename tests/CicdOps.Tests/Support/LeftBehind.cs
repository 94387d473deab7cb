namespace CicdOps.Tests.Support;

/// <summary>A test's cleanup left something behind: the test fails with the list (it used to pass, with a stderr line).</summary>
public sealed class CleanupFailedException(IReadOnlyList<string> problems)
    : Exception("test cleanup left things behind:\n  " + string.Join("\n  ", problems));

/// <summary>What a removed project's account may leave: the account itself, a sudoers drop-in, live processes.</summary>
public static class LeftBehind
{
    public static List<string> Find(IEnumerable<(string Name, uint? Uid)> accounts, string sudoersDirectory)
    {
        var problems = new List<string>();
        if (!OperatingSystem.IsLinux()) return problems;
        foreach (var (name, uid) in accounts)
        {
            if (File.ReadLines("/etc/passwd").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal)))
                problems.Add($"account {name} still exists");
            var dropIn = Path.Combine(sudoersDirectory, "cicdops-" + name);
            if (File.Exists(dropIn)) problems.Add($"sudoers drop-in {dropIn} still exists");
            if (uid is { } u && u != 0 && LiveProcesses(u) is { Count: > 0 } pids && !ReassignedUid(u))
                problems.Add($"processes of {name} (uid {u}) still run: {string.Join(", ", pids.Select(Describe))}");
        }
        return problems;
    }

    /// <summary>
    /// Whether another account holds the uid now: tests run in parallel, and useradd hands a freed uid to the next
    /// account at once, so that account's processes (another test's) are not this account's leftovers.
    /// </summary>
    private static bool ReassignedUid(uint uid) =>
        File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Any(f => f.Length > 2 && f[2] == uid.ToString());

    /// <summary>Live (non-zombie) processes of the uid, after a short grace for ones being killed right now.</summary>
    private static List<int> LiveProcesses(uint uid)
    {
        var until = DateTime.UtcNow.AddSeconds(3);
        while (true)
        {
            var pids = Scan(uid);
            if (pids.Count == 0 || DateTime.UtcNow > until) return pids;
            Thread.Sleep(100);
        }
    }

    private static List<int> Scan(uint uid)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var status = File.ReadAllLines(Path.Combine(dir, "status"));
                if (status.FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal))?.Contains("Z") == true) continue;
                var f = status.FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?
                    .Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (f is { Length: > 2 } && (f[1] == uid.ToString() || f[2] == uid.ToString())) pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* gone meanwhile */ }
        }
        return pids;
    }

    private static string Describe(int pid)
    {
        try { return $"{pid} ({File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()})"; }
        catch (IOException) { return pid.ToString(); }
    }
}
