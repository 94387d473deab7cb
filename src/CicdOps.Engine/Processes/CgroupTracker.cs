using System.Globalization;

namespace CicdOps.Engine.Processes;

/// <summary>
/// What cgroup v1 and v2 tracking share: a directory per unit under "cicdops/DATAID" of each hierarchy
/// (DATAID names the data directory, so two data directories never share a unit), joined through
/// cgroup.procs by a constant shell that then execs the command, and members read back from cgroup.procs
/// of the first (tracking) hierarchy.
/// </summary>
internal abstract class CgroupTracker : IAppTracker
{
    // Constant script run as the engine: each argument up to "--" is a cgroup.procs file to join, the rest is
    // the command. $$ is this shell's pid, which exec hands to the command unchanged.
    internal const string JoinScript = JoinLoop + "exec \"$@\"";

    // A cgroup v1 tasks file gets "0" (the writing thread: the single-threaded shell, so the whole process), which the
    // kernel moves without the global lock a pid write takes (that lock's first writer after a quiet spell waits for an
    // RCU grace period, ~10 ms); cgroup.procs gets the shell's pid.
    private const string JoinLoop =
        "while [ \"$1\" != -- ]; do case $1 in */tasks) v=0 ;; *) v=$$ ;; esac; " +
        "echo $v >\"$1\" || { echo \"cicdops: cannot join cgroup $1\" >&2; exit 125; }; shift; done; shift; ";

    /// <summary>
    /// <see cref="JoinScript"/> that then takes the first argument after "--" as a log file and execs the rest with
    /// stdin from /dev/null and its output appended to the log: an app's join and redirect in one shell (AppLauncher).
    /// </summary>
    internal const string JoinThenAppendToLog = JoinLoop + "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null";

    private readonly IReadOnlyList<string> _bases;
    private readonly List<CgroupMount> _hierarchies;

    /// <param name="hierarchies">Mount points to use; the first is where membership is read.</param>
    /// <param name="limitParents">
    /// Per controller (memory, cpu, pids), the cgroup under which limited units go: the engine's own cgroup in that
    /// hierarchy, so a limit of the engine's supervisor still applies on top of a run's own.
    /// </param>
    protected CgroupTracker(IReadOnlyList<string> hierarchies, string dataId, IReadOnlyDictionary<string, string>? limitParents = null)
    {
        _bases = hierarchies.Select(h => Path.Combine(h, "cicdops", dataId)).ToList();
        _hierarchies = OperatingSystem.IsLinux() ? CgroupMounts.Read().Where(m => m.Version == 1).ToList() : new List<CgroupMount>();
        LimitBases = (limitParents ?? new Dictionary<string, string>())
            .ToDictionary(kv => kv.Key, kv => Path.Combine(kv.Value, "cicdops", dataId));
    }

    /// <summary>Per controller, the directory under which limited units are made ("…/cicdops/DATAID").</summary>
    protected IReadOnlyDictionary<string, string> LimitBases { get; }

    public virtual string? LimitsUnavailable =>
        LimitBases.Count == 0 ? $"no memory, cpu or pids controller is available to {Mechanism}" : null;

    /// <summary>The unit joined in every tracking hierarchy and in each limit controller's, its limits written first.</summary>
    public IReadOnlyList<string> JoinPrefix(string unit, ResourceLimits limits)
    {
        var prefix = JoinPrefix(unit).ToList();
        var extra = new List<string>();
        foreach (var dir in LimitDirectories(unit).Distinct())
        {
            try { Directory.CreateDirectory(dir); } catch (IOException) { Directory.CreateDirectory(dir); }
            var procs = Path.Combine(dir, JoinFile);
            if (!prefix.Contains(procs)) extra.Add(procs);
        }
        WriteLimits(unit, limits);
        prefix.InsertRange(prefix.Count - 1, extra); // before "--"
        return Join(prefix);
    }

    /// <summary>
    /// The prefix as a <see cref="CgroupJoin"/>: on cgroup v1 with the same directories' tasks files, which a launching
    /// thread writes itself (ThreadLaunch), so the process starts in them without the shell.
    /// </summary>
    private CgroupJoin Join(List<string> prefix)
    {
        if (!JoinsThreads) return new CgroupJoin(prefix, null);
        var threads = new List<ThreadCgroup>();
        foreach (var procs in prefix.Skip(4).TakeWhile(a => a != "--"))
        {
            var dir = Path.GetDirectoryName(procs)!;
            if (_hierarchies.Where(h => dir.StartsWith(h.Path + "/", StringComparison.Ordinal)).MaxBy(h => h.Path.Length) is not { } h)
                return new CgroupJoin(prefix, null);
            threads.Add(new ThreadCgroup(Path.Combine(dir, "tasks"), h));
        }
        return new CgroupJoin(prefix, threads);
    }

    /// <summary>True on cgroup v1, where one thread can be moved on its own (its tasks file) and what it forks starts there.</summary>
    protected virtual bool JoinsThreads => false;

    /// <summary>The file the join shell writes: tasks on cgroup v1 (see JoinLoop), cgroup.procs on v2.</summary>
    private string JoinFile => JoinsThreads ? "tasks" : "cgroup.procs";

    /// <summary>The unit's directory in each limit controller's hierarchy.</summary>
    protected IEnumerable<string> LimitDirectories(string unit) => LimitBases.Values.Select(b => Path.Combine(b, unit));

    /// <summary>Writes the unit's limit files (the directories exist).</summary>
    protected abstract void WriteLimits(string unit, ResourceLimits limits);

    public abstract long OomKills(string unit);

    public abstract void BlockForks(string unit);

    /// <summary>Writes a cgroup control file; <paramref name="optional"/> ones (swap accounting) may be missing.</summary>
    protected static void WriteControl(string dir, string file, string value, bool optional = false)
    {
        var path = Path.Combine(dir, file);
        if (optional && !File.Exists(path)) return;
        try { File.WriteAllText(path, value); }
        catch (IOException) when (optional) { }
    }

    /// <summary>The number after <paramref name="key"/> in a "key value" control file (memory.events, memory.oom_control), or 0.</summary>
    protected static long ReadCounter(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var f = line.Split(' ');
                if (f.Length == 2 && f[0] == key && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return 0;
    }

    public abstract string Mechanism { get; }
    public bool IsAuthoritative => true;

    /// <summary>The unit's directory in the tracking hierarchy.</summary>
    public string UnitPath(string unit) => Path.Combine(_bases[0], unit);

    public IReadOnlyList<string> JoinPrefix(string unit)
    {
        var prefix = new List<string> { "/bin/sh", "-c", JoinScript, "cicdops-join" };
        foreach (var b in _bases)
        {
            var dir = Path.Combine(b, unit);
            // Twice: another engine process may remove an empty parent between our mkdirs (see RemoveAll).
            try { Directory.CreateDirectory(dir); } catch (IOException) { Directory.CreateDirectory(dir); }
            prefix.Add(Path.Combine(dir, JoinFile));
        }
        prefix.Add("--");
        return Join(prefix);
    }

    public IReadOnlyList<int> Members(string unit, int? processGroup) => ReadMembers(UnitPath(unit));

    public bool Contains(string unit, int? processGroup, int pid) => Members(unit, processGroup).Contains(pid);

    public void Move(string from, string to)
    {
        // A few passes: a member may fork while it is moved (its child starts in the old cgroup).
        for (var pass = 0; pass < 20; pass++)
        {
            var pids = ReadMembers(UnitPath(from));
            if (pids.Count == 0) return;
            foreach (var b in _bases)
            {
                var dir = Path.Combine(b, to);
                Directory.CreateDirectory(dir);
                foreach (var pid in pids)
                {
                    // One pid per write; a member that exited meanwhile is simply gone.
                    try { File.WriteAllText(Path.Combine(dir, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture)); }
                    catch (IOException) { }
                }
            }
        }
    }

    public void Remove(string unit)
    {
        foreach (var b in _bases) TryRemoveDirectory(Path.Combine(b, unit));
        foreach (var d in LimitDirectories(unit)) TryRemoveDirectory(d);
    }

    public void RemoveAll()
    {
        foreach (var b in _bases.Concat(LimitBases.Values).Distinct())
        {
            if (!Directory.Exists(b)) continue;
            foreach (var unit in Directory.EnumerateDirectories(b)) TryRemoveDirectory(unit);
            TryRemoveDirectory(b);
            TryRemoveDirectory(Path.GetDirectoryName(b)!); // "cicdops", once no data directory uses it
        }
    }

    /// <summary>
    /// rmdir only: a cgroup directory is removed whole when it has no members (its files are not real files).
    /// A member just killed stays until its parent reaps it (EBUSY meanwhile), so an empty-looking unit is
    /// retried for up to three seconds; one that still has members is left for the next stop.
    /// </summary>
    private static void TryRemoveDirectory(string dir)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: false);
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (HasMembers(dir) || Directory.EnumerateDirectories(dir).Any()) return;
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Live members only: a zombie is still listed until it is reaped, and only then may the directory go.</summary>
    private static bool HasMembers(string dir) => ReadMembers(dir).Count > 0;

    private static List<int> ReadMembers(string dir)
    {
        try
        {
            var pids = ReadIds(Path.Combine(dir, "cgroup.procs"));
            // cgroup v1 lists a process in cgroup.procs when any one of its threads is in the cgroup. An engine thread
            // spends a launch in the unit (ThreadLaunch): a process counts only when its main thread (tid = pid) is in
            // it, so no engine process is ever taken for a member (stopped, or moved whole by Move). Read after
            // cgroup.procs: a member is in both, whatever starts meanwhile is seen by the next read.
            var tasks = Path.Combine(dir, "tasks");
            if (File.Exists(tasks)) pids.IntersectWith(ReadIds(tasks));
            return pids.Where(pid => pid > 0 && !ProcFs.IsZombie(pid)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new List<int>(); }
    }

    private static HashSet<int> ReadIds(string file) =>
        File.ReadAllLines(file).Select(l => int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0).ToHashSet();

    /// <summary>A short stable id for a data directory: the first 12 hex digits of SHA-256 of its full path.</summary>
    public static string DataId(string dataPath)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(dataPath)));
        return Convert.ToHexString(bytes)[..12].ToLowerInvariant();
    }
}

/// <summary>
/// cgroup v1: the pids hierarchy tracks (or memory/cpu when pids is missing); cpu is joined too when the engine sits at
/// its root. Limited units also join the memory, cpu and pids hierarchies under the engine's own cgroup in each.
/// </summary>
internal sealed class CgroupV1Tracker : CgroupTracker
{
    private const int CfsPeriodUs = 100_000;

    public CgroupV1Tracker(IReadOnlyList<string> hierarchies, string dataId, IReadOnlyDictionary<string, string>? limitParents = null)
        : base(hierarchies, dataId, limitParents) { }

    public override string Mechanism => "cgroup v1";

    protected override bool JoinsThreads => true;

    protected override void WriteLimits(string unit, ResourceLimits limits)
    {
        if (Dir("memory", unit) is { } memory)
        {
            WriteControl(memory, "memory.limit_in_bytes", limits.MemoryBytes.ToString(CultureInfo.InvariantCulture));
            // Memory plus swap capped at the same size: the limit cannot be dodged by swapping (where swap is accounted).
            WriteControl(memory, "memory.memsw.limit_in_bytes", limits.MemoryBytes.ToString(CultureInfo.InvariantCulture), optional: true);
        }
        if (Dir("cpu", unit) is { } cpu)
        {
            WriteControl(cpu, "cpu.cfs_period_us", CfsPeriodUs.ToString(CultureInfo.InvariantCulture));
            WriteControl(cpu, "cpu.cfs_quota_us", ((long)Math.Max(1000, limits.Cpus * CfsPeriodUs)).ToString(CultureInfo.InvariantCulture));
        }
        if (Dir("pids", unit) is { } pids) WriteControl(pids, "pids.max", limits.Pids.ToString(CultureInfo.InvariantCulture));
    }

    public override long OomKills(string unit) =>
        Dir("memory", unit) is { } memory ? ReadCounter(Path.Combine(memory, "memory.oom_control"), "oom_kill") : 0;

    public override void BlockForks(string unit)
    {
        if (Dir("pids", unit) is { } pids && Directory.Exists(pids)) WriteControl(pids, "pids.max", "0", optional: true);
    }

    private string? Dir(string controller, string unit) => LimitBases.TryGetValue(controller, out var b) ? Path.Combine(b, unit) : null;
}

/// <summary>cgroup v2: one unified hierarchy; limited units need the memory, cpu and pids controllers enabled down to them.</summary>
internal sealed class CgroupV2Tracker : CgroupTracker
{
    private static readonly string[] Controllers = { "memory", "cpu", "pids" };
    private readonly string _mount;
    private readonly string _dataId;

    public CgroupV2Tracker(string mount, string dataId)
        : base(new[] { mount }, dataId, new Dictionary<string, string> { ["unified"] = mount })
    {
        _mount = mount; _dataId = dataId;
    }

    public override string Mechanism => "cgroup v2";

    public override string? LimitsUnavailable
    {
        get
        {
            var available = ReadWords(Path.Combine(_mount, "cgroup.controllers"));
            var missing = Controllers.Where(c => !available.Contains(c)).ToList();
            return missing.Count == 0 ? null : $"the cgroup v2 controllers {string.Join(", ", missing)} are not available at {_mount}";
        }
    }

    protected override void WriteLimits(string unit, ResourceLimits limits)
    {
        // Each level down to the unit hands the controllers on (units are leaves, so no level holds processes itself).
        var level = _mount;
        foreach (var part in new[] { "cicdops", _dataId })
        {
            var enabled = ReadWords(Path.Combine(level, "cgroup.subtree_control"));
            foreach (var c in Controllers.Where(c => !enabled.Contains(c)))
                WriteControl(level, "cgroup.subtree_control", "+" + c, optional: true);
            level = Path.Combine(level, part);
        }
        var dir = Path.Combine(level, unit);
        WriteControl(dir, "memory.max", limits.MemoryBytes.ToString(CultureInfo.InvariantCulture));
        WriteControl(dir, "memory.swap.max", "0", optional: true);
        WriteControl(dir, "cpu.max", $"{(long)Math.Max(1000, limits.Cpus * 100_000)} 100000");
        WriteControl(dir, "pids.max", limits.Pids.ToString(CultureInfo.InvariantCulture));
    }

    public override long OomKills(string unit) => ReadCounter(Path.Combine(UnitPath(unit), "memory.events"), "oom_kill");

    public override void BlockForks(string unit)
    {
        var dir = UnitPath(unit);
        if (!Directory.Exists(dir)) return;
        WriteControl(dir, "pids.max", "0", optional: true);
        WriteControl(dir, "cgroup.kill", "1", optional: true); // 5.14+: the kernel kills every member at once
    }

    private static HashSet<string> ReadWords(string path)
    {
        try { return File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToHashSet(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new HashSet<string>(); }
    }
}

/// <summary>
/// A tracker's join for one unit. As a list it is the argv prefix a shell runs to join (any cgroup version); on cgroup v1
/// <see cref="Threads"/> names the same cgroups as tasks files a launching thread joins itself (ThreadLaunch), null elsewhere.
/// </summary>
internal sealed class CgroupJoin : IReadOnlyList<string>
{
    private readonly IReadOnlyList<string> _prefix;

    public CgroupJoin(IReadOnlyList<string> prefix, IReadOnlyList<ThreadCgroup>? threads) { _prefix = prefix; Threads = threads; }

    public IReadOnlyList<ThreadCgroup>? Threads { get; }

    public string this[int index] => _prefix[index];
    public int Count => _prefix.Count;
    public IEnumerator<string> GetEnumerator() => _prefix.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>One cgroup v1 directory to join: its tasks file, and the hierarchy it is in (to find the thread's way back).</summary>
internal sealed record ThreadCgroup(string TasksFile, CgroupMount Hierarchy);
