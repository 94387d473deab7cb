using CicdOps.Engine.Deploy;
using CicdOps.Engine.Sandbox;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Releases;

/// <summary>
/// The engine (root) switches `current` and prunes releases in its own process with the account's file-system
/// rights: what it makes is the account's, what the account may not touch it cannot touch either, and the thread
/// is root again afterwards.
/// </summary>
public sealed class AccountFileSystemTests
{
    private static readonly ServiceAccount Nobody = new("nobody", 65534, 65534, "/nonexistent");

    [RootFact]
    public void Acting_as_the_account_creates_its_files_is_refused_where_it_may_not_write_and_gives_root_back()
    {
        using var dir = new TempDirectory("cicdops-accountfs");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101); // root's, 0755
        var open = Path.Combine(dir.Path, "open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);

        Assert.Throws<UnauthorizedAccessException>(() =>
            AccountFileSystem.Run(Nobody, () => { File.WriteAllText(Path.Combine(dir.Path, "root-only"), "x"); return 0; }));
        Assert.False(File.Exists(Path.Combine(dir.Path, "root-only")));

        AccountFileSystem.Run(Nobody, () => { File.WriteAllText(Path.Combine(open, "mine"), "x"); return 0; });
        Assert.Equal("65534 65534", Run.Command("stat", null, "-c", "%u %g", Path.Combine(open, "mine")).Trim());

        // The same thread is root again: a file it makes now is root's, and root-only places are open to it.
        File.WriteAllText(Path.Combine(dir.Path, "after"), "x");
        Assert.Equal("0 0", Run.Command("stat", null, "-c", "%u %g", Path.Combine(dir.Path, "after")).Trim());
    }

    [RootFact]
    public void Current_is_switched_by_rename_as_the_account_and_a_tree_it_does_not_own_stays()
    {
        using var dir = new TempDirectory("cicdops-accountfs");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        var root = Path.Combine(dir.Path, "app");
        var layout = new ReleaseLayout(root);
        Directory.CreateDirectory(layout.Release("r1"));
        Directory.CreateDirectory(layout.Release("r2"));
        Directory.CreateDirectory(layout.Release("theirs"));
        File.WriteAllText(Path.Combine(layout.Release("theirs"), "f"), "x");
        Run.Command("chown", null, "-R", "65534:65534", root);
        Run.Command("chown", null, "-R", "0:0", layout.Release("theirs")); // not the account's: it cannot remove it
        // A release links shared paths into shared/: removing it removes the links, never what they lead to.
        Directory.CreateDirectory(Path.Combine(root, "shared", "storage"));
        File.WriteAllText(Path.Combine(root, "shared", "storage", "kept"), "x");
        Directory.CreateSymbolicLink(Path.Combine(layout.Release("r1"), "storage"), Path.Combine(root, "shared", "storage"));
        Run.Command("chown", null, "-R", "-h", "65534:65534", root);
        Run.Command("chown", null, "-R", "0:0", layout.Release("theirs"));
        File.CreateSymbolicLink(layout.Current, "releases/r1");

        var allGone = ReleaseFiles.Switch(Nobody, layout, "r2", new[] { "r1", "theirs" });

        Assert.Equal("releases/r2", new FileInfo(layout.Current).LinkTarget);
        Assert.Equal("65534", Run.Command("stat", null, "-c", "%u", layout.Current).Trim());
        Assert.False(Directory.Exists(layout.Release("r1")));
        Assert.True(File.Exists(Path.Combine(root, "shared", "storage", "kept")), "a linked shared directory is not followed");
        Assert.False(allGone);
        Assert.True(File.Exists(Path.Combine(layout.Release("theirs"), "f")), "root's files are not removed as the account");
    }
}
