using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Cmdlets.Isolation;
using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>The PowerShell-free helpers the cmdlets use (the cmdlets themselves need pwsh; see tests/pester).</summary>
public sealed class CmdletHelperTests
{
    [Fact]
    public void Log_chunks_become_whole_lines()
    {
        var splitter = new LogLineSplitter();
        Assert.Empty(splitter.Push("sync: fetch"));
        Assert.Equal(new[] { "sync: fetching", "install" }, splitter.Push("ing\r\ninstall\nrun"));
        Assert.Equal(new[] { "run: started" }, splitter.Push(": started\n"));
        Assert.Null(splitter.Flush());
        splitter.Push("tail");
        Assert.Equal("tail", splitter.Flush());
    }

    [Fact]
    public void Native_library_is_looked_up_under_runtimes_rid_native()
    {
        var candidates = NativeLibraryPaths.Candidates("/m/dependencies", "e_sqlite3").ToList();
        var rid = NativeLibraryPaths.CurrentRid();
        Assert.All(candidates, c => Assert.StartsWith(Path.Combine("/m/dependencies", "runtimes", rid, "native"), c));
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains(Path.Combine("/m/dependencies", "runtimes", rid, "native", "libe_sqlite3.so"), candidates);
            Assert.Matches("^linux-(x64|arm64)$", rid);
        }
        Assert.Equal(new[] { "libe_sqlite3.so" }, NativeLibraryPaths.FileNames("libe_sqlite3.so"));
    }

    [Fact]
    public void Cleanup_runs_every_action_once_even_when_one_fails()
    {
        var ran = new List<string>();
        ModuleCleanup.Register(() => ran.Add("first"));
        ModuleCleanup.Register(() => throw new InvalidOperationException("listener already stopped"));
        ModuleCleanup.Register(() => ran.Add("last"));
        var failures = ModuleCleanup.RunAll();
        Assert.Equal(new[] { "last", "first" }, ran);
        Assert.IsType<InvalidOperationException>(Assert.Single(failures));
        Assert.Empty(ModuleCleanup.RunAll());
        Assert.Equal(2, ran.Count);
    }

    [Fact]
    public async Task Progress_reported_on_worker_threads_is_taken_in_order_on_the_caller()
    {
        using var progress = new QueuedProgress<int>();
        await Task.Run(() => { for (var i = 0; i < 100; i++) progress.Report(i); });
        var taken = new List<int>();
        while (progress.TryTake(out var value, TimeSpan.Zero)) taken.Add(value);
        Assert.Equal(Enumerable.Range(0, 100), taken);
        Assert.False(progress.TryTake(out _, TimeSpan.FromMilliseconds(10)));
    }
}
