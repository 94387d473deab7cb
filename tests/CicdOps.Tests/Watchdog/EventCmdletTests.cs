using System.Diagnostics;
using CicdOps.Engine.Model;
using CicdOps.Engine.State;
using CicdOps.Tests.Module;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Watchdog;

/// <summary>Get-CicdEvent and -HealthInterval in PowerShell's own runtime (the built module, hosted by CicdOps.CmdletProbe).</summary>
public sealed class EventCmdletTests
{
    private static string ProbeDll => Path.Combine(ModulePaths.RepositoryRoot, "tests", "CicdOps.CmdletProbe", "bin", ModulePaths.Configuration, "net10.0", "CicdOps.CmdletProbe.dll");

    private static (List<string> Out, string Err) Probe(string dataPath, string script)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "exec", ProbeDll, ModulePaths.ModuleDirectory, dataPath, script }) start.ArgumentList.Add(arg);
        start.Environment["CICDOPS_HOME"] = null;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "probe did not finish");
        Assert.True(p.ExitCode == 0, $"probe exited {p.ExitCode}: {stderr.Result}");
        return (stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList(), stderr.Result);
    }

    [Fact]
    public void Get_CicdEvent_reads_the_event_log_by_project_and_after_an_id_and_Set_CicdProject_sets_the_health_interval()
    {
        using var dir = new TempDirectory("cicdops-events");
        var data = dir.Combine("data");
        using var repo = new TestRepository();
        repo.WriteSleeper("v1", dir.Path).CommitAndPush("v1");
        long first;
        using (var engine = CicdEngine.Open(new EngineOptions { DataPath = data }))
        {
            engine.RegisterProject(new ProjectSpec { Name = "shop", Repository = repo.Url, Path = dir.Combine("shop"), Branch = repo.Branch });
            engine.RegisterProject(new ProjectSpec { Name = "blog", Repository = repo.Url, Path = dir.Combine("blog"), Branch = repo.Branch });
            // Written as the watchdog writes them (the watchdog itself is tested with real apps in WatchdogTests).
            first = engine.Context.Db.Write(c => EventStore.Add(c, "shop", CicdEventKind.Unhealthy, "the app died (pid 42 is gone)"));
            engine.Context.Db.Write(c => EventStore.Add(c, "blog", CicdEventKind.Unhealthy, "health.sh exited with code 1"));
            engine.Context.Db.Write(c => EventStore.Add(c, "shop", CicdEventKind.Recovered, "healthy again after restart 1 (deployment 7)", 7));
        }

        var (lines, _) = Probe(data, $$"""
            Get-CicdEvent -Name shop -DataPath $DataPath | ForEach-Object { "shop: $($_.Kind) $($_.Message)" }
            Get-CicdEvent -After {{first}} -DataPath $DataPath | ForEach-Object { "after: $($_.Project) $($_.Kind) $($_.DeploymentId)" }
            (Get-CicdEvent -DataPath $DataPath | Get-Member -MemberType Property).Name -join ',' | ForEach-Object { "props: $_" }
            Get-CicdProject shop -DataPath $DataPath | Set-CicdProject -HealthInterval (New-TimeSpan -Seconds 12) -DataPath $DataPath
            "interval: $((Get-CicdProject shop -DataPath $DataPath).HealthInterval.TotalSeconds)"
            try { Get-CicdEvent -Name nosuch -DataPath $DataPath -ErrorAction Stop } catch { "error: $($_.FullyQualifiedErrorId)" }
            """);

        Assert.Equal(new[] { "shop: Unhealthy the app died (pid 42 is gone)", "shop: Recovered healthy again after restart 1 (deployment 7)" },
            lines.Where(l => l.StartsWith("shop: ")));
        Assert.Equal(new[] { "after: blog Unhealthy ", "after: shop Recovered 7" }, lines.Where(l => l.StartsWith("after: ")));
        Assert.Contains(lines, l => l.StartsWith("props: ") && l.Contains("Kind") && l.Contains("Message") && l.Contains("DeploymentId"));
        Assert.Contains("interval: 12", lines);
        Assert.Contains(lines, l => l.StartsWith("error: CicdProjectNotFound"));
    }
}
