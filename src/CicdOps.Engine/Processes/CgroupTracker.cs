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
    private const string JoinScript =
        "while [ \"$1\" != -- ]; do echo $$ >\"$1\" || { echo \"cicdops: cannot join cgroup $1\" >&2; exit 125; }; shift; done; shift; exec \"$@\"";

    private readonly IReadOnlyList<string> _bases;

    /// <param name="hierarchies">Mount points to use; the first is where membership is read.</param>
    protected CgroupTracker(IReadOnlyList<string> hierarchies, string dataId)
    {
        _bases = hierarchies.Select(h => Path.Combine(h, "cicdops", dataId)).ToList();
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
            prefix.Add(Path.Combine(dir, "cgroup.procs"));
        }
        prefix.Add("--");
        return prefix;
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
    }

    public void RemoveAll()
    {
        foreach (var b in _bases)
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
            return File.ReadAllLines(Path.Combine(dir, "cgroup.procs"))
                .Select(l => int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
                .Where(pid => pid > 0 && !ProcFs.IsZombie(pid)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new List<int>(); }
    }

    /// <summary>A short stable id for a data directory: the first 12 hex digits of SHA-256 of its full path.</summary>
    public static string DataId(string dataPath)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(dataPath)));
        return Convert.ToHexString(bytes)[..12].ToLowerInvariant();
    }
}

/// <summary>cgroup v1: the pids hierarchy tracks (or memory/cpu when pids is missing); cpu is joined too when the engine sits at its root.</summary>
internal sealed class CgroupV1Tracker : CgroupTracker
{
    public CgroupV1Tracker(IReadOnlyList<string> hierarchies, string dataId) : base(hierarchies, dataId) { }
    public override string Mechanism => "cgroup v1";
}

/// <summary>cgroup v2: one unified hierarchy.</summary>
internal sealed class CgroupV2Tracker : CgroupTracker
{
    public CgroupV2Tracker(string mount, string dataId) : base(new[] { mount }, dataId) { }
    public override string Mechanism => "cgroup v2";
}
