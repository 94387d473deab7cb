using CicdOps.Engine.Fleet;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Fleet;

public sealed class NodeIdentityTests
{
    [Fact]
    public void The_node_id_is_created_once_0600_and_kept_across_engines()
    {
        using var h = new EngineHarness();
        var first = h.Engine.GetNodeIdentity();
        var path = Path.Combine(h.DataPath, NodeIdentity.FileName);

        Assert.Matches("^[0-9a-f]{32}$", first.Id);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(Environment.MachineName, first.Name);
        using var again = CicdEngine.Open(h.Options);
        Assert.Equal(first.Id, again.GetNodeIdentity().Id);
        Assert.Empty(Directory.GetFiles(h.DataPath, ".node.id*"));
    }

    [Fact]
    public void Engines_creating_the_id_at_the_same_time_agree_on_one()
    {
        using var h = new EngineHarness();
        var engines = Enumerable.Range(0, 8).Select(_ => CicdEngine.Open(h.Options)).ToList();
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(engines, e => ids.Add(e.GetNodeIdentity().Id));
        Assert.Single(ids.Distinct());
        foreach (var e in engines) e.Dispose();
    }

    [Fact]
    public void Another_data_directory_is_another_node()
    {
        using var a = new EngineHarness();
        using var b = new EngineHarness();
        Assert.NotEqual(a.Engine.GetNodeIdentity().Id, b.Engine.GetNodeIdentity().Id);
    }

    [Fact]
    public void A_damaged_id_file_is_a_clear_error()
    {
        using var h = new EngineHarness();
        File.WriteAllText(Path.Combine(h.DataPath, NodeIdentity.FileName), "not an id\n");
        var e = Assert.Throws<CicdException>(() => h.Engine.GetNodeIdentity());
        Assert.Equal(CicdError.DataDirectoryUnavailable, e.Error);
    }
}
