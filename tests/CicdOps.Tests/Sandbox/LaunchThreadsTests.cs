using System.Runtime.Versioning;
using CicdOps.Engine.Processes;
using Xunit;

namespace CicdOps.Tests.Sandbox;

/// <summary>Launch threads are made ahead of their launch; each serves one launch, which never runs on the caller, and ends.</summary>
[SupportedOSPlatform("linux")]
public class LaunchThreadsTests
{
    [Fact]
    public void Each_launch_runs_on_a_launch_thread_of_its_own_which_ends_after_it()
    {
        var caller = Posix.CurrentThreadId();
        var served = new List<(int Tid, string Name)>();
        for (var i = 0; i < 4; i++)
            LaunchThreads.Run(() => served.Add((Posix.CurrentThreadId(), File.ReadAllText("/proc/thread-self/comm").Trim())));

        Assert.Equal(4, served.Select(s => s.Tid).Distinct().Count());
        Assert.DoesNotContain(caller, served.Select(s => s.Tid));
        Assert.All(served, s => Assert.Equal("cicdops-launch", s.Name));
        var until = DateTime.UtcNow.AddSeconds(10);
        while (served.Any(s => Directory.Exists($"/proc/self/task/{s.Tid}")) && DateTime.UtcNow < until) Thread.Sleep(10);
        Assert.DoesNotContain(served, s => Directory.Exists($"/proc/self/task/{s.Tid}"));
    }

    [Fact]
    public void What_a_launch_throws_is_thrown_to_its_caller_and_the_next_launch_still_runs()
    {
        var e = Assert.Throws<IOException>(() => LaunchThreads.Run(() => throw new IOException("no such file")));
        Assert.Equal("no such file", e.Message);

        var ran = false;
        LaunchThreads.Run(() => ran = true);
        Assert.True(ran);
    }
}
