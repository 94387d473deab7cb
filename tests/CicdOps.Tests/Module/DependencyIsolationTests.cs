using System.Diagnostics;
using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>
/// The module's engine and SQLite live in their own load context: in a fresh process that already holds a
/// conflicting Microsoft.Data.Sqlite in the default context, the engine still opens its database with its own copy.
/// </summary>
public sealed class DependencyIsolationTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "cicdops-isolation-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }

    private Dictionary<string, List<string>> Probe(string mode)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "exec", ModulePaths.IsolationProbe, mode, ModulePaths.ModuleDirectory, _dataDir }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "probe did not finish");
        Assert.True(process.ExitCode == 0, $"probe exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).GroupBy(kv => kv[0], kv => kv[1]).ToDictionary(g => g.Key, g => g.ToList());
    }

    [Fact]
    public void Engine_uses_its_own_sqlite_beside_a_conflicting_version()
    {
        var report = Probe("isolated");
        var dependencies = Path.Combine(ModulePaths.ModuleDirectory, "dependencies");

        Assert.Equal("1.0.0.0", report["conflicting.version"].Single());
        Assert.Equal("True", report["register.idempotent"].Single());
        Assert.Equal("CicdOps.Dependencies", report["engine.context"].Single());
        Assert.False(report.ContainsKey("database.error"), report.GetValueOrDefault("database.error")?.Single());
        Assert.Equal("CicdOps.Dependencies", report["sqlite.assembly.context"].Single());
        Assert.Equal(Path.Combine(dependencies, "Microsoft.Data.Sqlite.dll"), report["sqlite.assembly.location"].Single());
        Assert.StartsWith("10.", report["sqlite.assembly.version"].Single());
        Assert.Matches(@"^3\.\d+\.\d+$", report["sqlite.version"].Single());
        Assert.Equal("True", report["database.exists"].Single());
        if (OperatingSystem.IsLinux())
            Assert.Contains(report["native.loaded"], p => p.StartsWith(Path.Combine(dependencies, "runtimes"), StringComparison.Ordinal) && p.EndsWith("libe_sqlite3.so", StringComparison.Ordinal));
        Assert.Equal("True", report["unregistered"].Single());
        Assert.Equal("True", report["reregister.same-context"].Single());
        Assert.Equal("True", report["reregister.same-engine"].Single());
        // Once the engine facade is implemented, opening it through the cmdlets' cache must work too.
        Assert.Equal("ok", report["engine.open"].Single());
        // The fleet cmdlets' assembly and both registry drivers load from dependencies/ into the same context.
        Assert.False(report.ContainsKey("fleet.error"), report.GetValueOrDefault("fleet.error")?.Single());
        Assert.Equal("CicdOps.Dependencies", report["fleet.context"].Single());
        Assert.Equal(new[] { $"MongoDB.Driver|CicdOps.Dependencies|{Path.Combine(dependencies, "MongoDB.Driver.dll")}", $"Npgsql|CicdOps.Dependencies|{Path.Combine(dependencies, "Npgsql.dll")}" },
            report["fleet.driver"].Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Without_isolation_the_conflict_breaks_the_engine()
    {
        // The control case: proves the conflicting assembly really conflicts, so the test above means something.
        var report = Probe("default");
        Assert.Equal("Default", report["engine.context"].Single());
        Assert.Contains("Microsoft.Data.Sqlite", report["database.error"].Single());
    }
}
