using System.Runtime.Versioning;
using System.Text;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Temporary, limited root for install.sh of projects that name sudo commands: a sudoers drop-in
/// (<c>/etc/sudoers.d/cicdops-&lt;user&gt;</c>, 0440) granting the account exactly those commands as root,
/// NOPASSWD, while a <see cref="SudoGrant"/> scope is open (everything only for the literal ALL). The file is written under a name sudo ignores (it contains a
/// '.'), checked with <c>visudo -cf</c>, then renamed into place, so sudo never reads a partial or invalid
/// file. Each file records the process that holds it (pid + start time), so <see cref="RemoveStale"/>,
/// which the engine calls at every start and the listener every few seconds, clears grants a killed
/// process left behind without revoking one that another live engine process is using.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class SudoGrants
{
    public const string DefaultDirectory = "/etc/sudoers.d";
    public const string FilePrefix = "cicdops-";
    private const UnixFileMode ReadOnlyByOwnerAndGroup = UnixFileMode.UserRead | UnixFileMode.GroupRead; // 0440

    public SudoGrants(string? directory = null) => Directory = Path.GetFullPath(directory ?? DefaultDirectory);

    public string Directory { get; }

    public string PathFor(string user) => Path.Combine(Directory, FilePrefix + user);

    /// <summary>Grants <paramref name="account"/> passwordless sudo for <paramref name="commands"/> until the returned scope is disposed.</summary>
    public SudoGrant Grant(ServiceAccount account, IReadOnlyList<string> commands)
    {
        ServiceUserName.Validate(account.Name);
        if (account.Uid == 0 || account.Name == "root")
            throw new CicdException(CicdError.ServiceUserFailed, "Refusing a sudo grant for root.", account.Name);
        commands = SudoCommands.Validate(commands); // again here: whatever reached the database, only this shape is written
        if (commands.Count == 0)
            throw new CicdException(CicdError.InvalidArgument, "A sudo grant needs at least one command.", account.Name);
        var final = PathFor(account.Name);
        var tmp = Path.Combine(Directory, $".{FilePrefix}{account.Name}.{Guid.NewGuid():N}.tmp");
        try
        {
            Write(tmp, Content(account.Name, ProcessIdentity.Current, commands));
            var check = ToolRunner.Run("visudo", new[] { "-c", "-q", "-f", tmp });
            if (check.ExitCode != 0)
                throw new CicdException(CicdError.ServiceUserFailed, $"visudo rejected the sudo grant for '{account.Name}': {check.OneLineError}", account.Name);
            File.Move(tmp, final, overwrite: true); // rename(2): sudo sees the old state or the whole new file
        }
        finally
        {
            File.Delete(tmp);
        }
        return new SudoGrant(final);
    }

    /// <summary>Removes the grant of one account, if any (when its account is deleted).</summary>
    public void Revoke(string user)
    {
        ServiceUserName.Validate(user);
        if (System.IO.Directory.Exists(Directory)) File.Delete(PathFor(user));
    }

    /// <summary>
    /// Removes CicdOps drop-ins (and half-written temporaries) whose holder is no longer running, or all of
    /// them with <paramref name="includeLive"/>; returns how many. A temporary without a holder line yet
    /// may be being written right now: it is left alone for a minute.
    /// </summary>
    public int RemoveStale(bool includeLive = false)
    {
        if (!System.IO.Directory.Exists(Directory)) return 0;
        var removed = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
        {
            var name = Path.GetFileName(file);
            var temporary = name.StartsWith("." + FilePrefix, StringComparison.Ordinal);
            if (!name.StartsWith(FilePrefix, StringComparison.Ordinal) && !temporary) continue;
            if (!includeLive)
            {
                var holder = HolderOf(file);
                if (holder is { IsAlive: true }) continue;
                if (holder is null && temporary && DateTime.UtcNow - File.GetLastWriteTimeUtc(file) < TimeSpan.FromMinutes(1)) continue;
            }
            try { File.Delete(file); removed++; }
            catch (IOException) { } // another sweeper got there first
        }
        return removed;
    }

    internal const string HolderMarker = "# cicdops-holder: ";

    /// <summary>
    /// The drop-in: the holder line first (a sweeper reads it), then the rule. Named commands run as root
    /// only; ALL keeps the old everything-as-anyone rule. Commands are validated, so joining them with
    /// ", " cannot change what the line means.
    /// </summary>
    internal static string Content(string user, ProcessIdentity holder, IReadOnlyList<string> commands) =>
        $"# Temporary grant by CicdOps while install.sh runs; removed when it ends.\n" +
        $"{HolderMarker}{holder}\n" +
        $"Defaults:{user} !requiretty\n" +
        (SudoCommands.GrantsEverything(commands)
            ? $"{user} ALL=(ALL:ALL) NOPASSWD: ALL\n"
            : $"{user} ALL=(root) NOPASSWD: {string.Join(", ", commands)}\n");

    /// <summary>The process that wrote a grant file, or null when the file has no (readable) holder line.</summary>
    internal static ProcessIdentity? HolderOf(string file)
    {
        try
        {
            foreach (var line in File.ReadLines(file).Take(4))
                if (line.StartsWith(HolderMarker, StringComparison.Ordinal)) return ProcessIdentity.Parse(line[HolderMarker.Length..]);
        }
        catch (IOException) { }
        return null;
    }

    private static void Write(string path, string content)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = ReadOnlyByOwnerAndGroup, // sudo refuses group/world-writable files; 0440 from the start
        };
        using var fs = new FileStream(path, options);
        fs.Write(Encoding.UTF8.GetBytes(content));
        fs.Flush(flushToDisk: true);
    }
}

/// <summary>An open sudo grant; Dispose removes the drop-in (idempotent). Use with <c>using</c> around install.sh.</summary>
internal sealed class SudoGrant : IDisposable
{
    internal SudoGrant(string path) => FilePath = path;

    public string FilePath { get; }
    public bool IsActive => File.Exists(FilePath);

    public void Dispose()
    {
        // A grant that outlives install.sh is root for the project: failing loudly beats leaving it.
        File.Delete(FilePath);
    }
}
