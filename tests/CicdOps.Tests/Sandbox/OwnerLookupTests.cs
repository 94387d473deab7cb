using System.Runtime.Versioning;
using CicdOps.Engine;
using CicdOps.Engine.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Sandbox;

/// <summary>
/// Owners, modes and group lists are read in the engine's own process (statx, getgrouplist) instead of starting
/// stat and id for each deploy: they must say exactly what those tools say.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class OwnerLookupTests
{
    [Fact]
    public void Owners_and_modes_read_in_process_match_stat_and_a_link_is_not_followed()
    {
        using var dir = new TempDirectory("owners");
        var file = Path.Combine(dir.Path, "file");
        File.WriteAllText(file, "x");
        File.SetUnixFileMode(file, (UnixFileMode)0b110_100_000); // 0640
        var sticky = Path.Combine(dir.Path, "sticky");
        Directory.CreateDirectory(sticky);
        File.SetUnixFileMode(sticky, (UnixFileMode)0b1_111_111_111); // 1777, like /tmp
        var link = Path.Combine(dir.Path, "link");
        File.CreateSymbolicLink(link, "/etc/shadow");
        var paths = new[] { "/", "/tmp", dir.Path, file, sticky, link };

        var expected = Run.Command("stat", null, new[] { "--format=%u %g %a", "--" }.Concat(paths).ToArray())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var owners = paths.Select(p => Statx.Owner(p) ?? throw new Xunit.Sdk.XunitException($"statx told nothing about {p}")).ToList();

        Assert.Equal(expected, owners.Select(o => $"{o.Uid} {o.Gid} {Convert.ToString(o.Mode, 8)}"));
        Assert.Equal(owners, FileOwners.Of(paths));
        Assert.Null(Statx.Owner(Path.Combine(dir.Path, "missing")));
    }

    [Fact]
    public void A_missing_path_still_fails_with_the_stat_error()
    {
        using var dir = new TempDirectory("owners");
        var e = Assert.Throws<CicdException>(() => FileOwners.Of(new[] { Path.Combine(dir.Path, "missing") }));
        Assert.Contains("No such file", e.Message);
    }

    [Theory]
    [InlineData("root")]
    [InlineData("nobody")]
    public void Group_lists_read_in_process_match_id(string user)
    {
        var accounts = new UnixAccounts();
        var account = accounts.Find(user)!;
        var expected = Run.Command("id", null, "-G", "--", user).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(uint.Parse).Order().ToArray();

        Assert.Equal(expected, UnixGroupList.Of(user, account.Gid)!.Distinct().Order().ToArray());
        Assert.Equal(expected, accounts.GroupsOf(account).Distinct().Order().ToArray());
    }
}
