using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Caches and artifacts on disk: `DATA/caches/PROJECT/HASH.tar` and `DATA/artifacts/PROJECT/RUN/HASH.tar`, where HASH
/// is a SHA-256 of the key, so a key (rendered from a template, with payload values in it) is only ever a name in
/// SQLite and can never reach outside its directory. Archives are written to a temporary file and renamed into place
/// (a reader never sees half of one), root-owned 0600 in root's data directory. Each kind has a size cap; going over
/// it evicts the least recently used entries (a restore or a fetch is a use). Expired entries are removed by
/// <see cref="Sweep"/>, which runs when a run starts and whenever entries are listed.
/// </summary>
internal sealed class PipelineFileStore
{
    private readonly Database _db;
    private readonly string _root;

    public PipelineFileStore(Database db, string dataRoot, long cacheCapBytes, long artifactCapBytes)
    {
        _db = db;
        _root = dataRoot;
        CacheCapBytes = cacheCapBytes;
        ArtifactCapBytes = artifactCapBytes;
    }

    public static PipelineFileStore For(EngineContext ctx) =>
        new(ctx.Db, ctx.Layout.Root, ctx.Options.PipelineCacheCapBytes, ctx.Options.PipelineArtifactCapBytes);

    public long CacheCapBytes { get; }
    public long ArtifactCapBytes { get; }
    public long CapOf(PipelineFileKind kind) => kind == PipelineFileKind.Cache ? CacheCapBytes : ArtifactCapBytes;

    public static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLowerInvariant();

    public string FileFor(PipelineFileKind kind, string project, string runId, string key) => kind == PipelineFileKind.Cache
        ? Path.Combine(_root, "caches", project, Hash(key) + ".tar")
        : Path.Combine(_root, "artifacts", project, runId, Hash(key) + ".tar");

    /// <summary>A fresh temporary file beside where <paramref name="final"/> goes (same file system, so the rename is atomic).</summary>
    public string TemporaryFor(string final)
    {
        var dir = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $".tmp-{Guid.NewGuid():N}");
    }

    /// <summary>The archive of a live cache, marked used now; null on a miss.</summary>
    public string? UseCache(string project, string key) =>
        _db.Write(c => PipelineFileRows.UseCache(c, project, key, DateTimeOffset.UtcNow))?.File is { } f && File.Exists(f) ? f : null;

    /// <summary>Moves a finished temporary archive into place, records it, and evicts to stay under the kind's cap.</summary>
    public PipelineArtifact Commit(PipelineFileKind kind, string project, string runId, int step, string key, string temporary, DateTimeOffset expiresAt)
    {
        var final = FileFor(kind, project, runId, key);
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var now = DateTimeOffset.UtcNow;
        var entry = new PipelineArtifact(kind, project, key, runId, step, new FileInfo(temporary).Length, CountEntries(temporary), now, now, expiresAt);
        File.Move(temporary, final, overwrite: true);
        var replaced = _db.Write(c => PipelineFileRows.Put(c, kind, entry, final));
        if (replaced is not null) DeleteFile(replaced);
        Evict(kind);
        return entry;
    }

    /// <summary>Least recently used first, until the kind's archives fit its cap.</summary>
    private void Evict(PipelineFileKind kind)
    {
        var cap = CapOf(kind);
        var evicted = _db.Write(c =>
        {
            var all = PipelineFileRows.ByLastUse(c, kind);
            var total = all.Sum(x => x.Entry.SizeBytes);
            var gone = new List<string>();
            foreach (var (entry, file) in all)
            {
                if (total <= cap) break;
                PipelineFileRows.Delete(c, entry);
                total -= entry.SizeBytes;
                gone.Add(file);
            }
            return gone;
        });
        foreach (var f in evicted) DeleteFile(f);
    }

    /// <summary>Removes expired entries (rows, then files). <paramref name="now"/> is a parameter so tests can move time.</summary>
    public void Sweep(DateTimeOffset now)
    {
        foreach (var kind in new[] { PipelineFileKind.Cache, PipelineFileKind.Artifact })
        {
            var expired = _db.Write(c =>
            {
                var rows = PipelineFileRows.Expired(c, kind, now);
                foreach (var (entry, _) in rows) PipelineFileRows.Delete(c, entry);
                return rows.Select(r => r.File).ToList();
            });
            foreach (var f in expired) DeleteFile(f);
        }
    }

    /// <summary>Live caches and artifacts, newest first.</summary>
    public List<(PipelineArtifact Entry, string File)> List(string? project, string? runId, PipelineFileKind? kind, DateTimeOffset now) =>
        _db.Read(c => (kind is null or PipelineFileKind.Artifact ? PipelineFileRows.List(c, PipelineFileKind.Artifact, project, runId, now) : new())
            .Concat(kind is null or PipelineFileKind.Cache ? PipelineFileRows.List(c, PipelineFileKind.Cache, project, runId, now) : new())
            .OrderByDescending(x => x.Entry.CreatedAt).ToList());

    public void Touch(PipelineArtifact entry) => _db.Write(c => PipelineFileRows.Touch(c, entry, DateTimeOffset.UtcNow));

    /// <summary>Regular files and links in the archive (directories are not counted).</summary>
    private static int CountEntries(string archive)
    {
        using var stream = File.OpenRead(archive);
        using var reader = new TarReader(stream);
        var n = 0;
        while (reader.GetNextEntry(copyData: false) is { } e)
            if (e.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.SymbolicLink or TarEntryType.HardLink) n++;
        return n;
    }

    private void DeleteFile(string file)
    {
        // Only files of this store: rows name paths the store made, but a path is checked before it is deleted anyway.
        var full = Path.GetFullPath(file);
        if (!full.StartsWith(Path.Combine(_root, "caches") + "/", StringComparison.Ordinal)
            && !full.StartsWith(Path.Combine(_root, "artifacts") + "/", StringComparison.Ordinal)) return;
        try
        {
            File.Delete(full);
            // An artifact's run directory goes with its last archive.
            var dir = Path.GetDirectoryName(full)!;
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>When an entry made now expires: `expiry` seconds from now, or the ISO 8601 time it names; else the default.</summary>
    public static DateTimeOffset ExpiresAt(string? expiry, DateTimeOffset now, TimeSpan defaultExpiry) =>
        TryExpiresAt(expiry, now, defaultExpiry, out var at) ? at : now + defaultExpiry;

    public static bool TryExpiresAt(string? expiry, DateTimeOffset now, TimeSpan defaultExpiry, out DateTimeOffset at)
    {
        at = now + defaultExpiry;
        if (string.IsNullOrEmpty(expiry)) return true;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (decimal.TryParse(expiry, System.Globalization.NumberStyles.Float, inv, out var seconds) && seconds >= 0)
        {
            // Capped at a century: a huge number of seconds is "keep", not an overflow.
            at = now + TimeSpan.FromSeconds((double)Math.Min(seconds, 3_155_760_000m));
            return true;
        }
        if (!DateTimeOffset.TryParse(expiry, inv, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)) return false;
        at = time;
        return true;
    }
}
