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
            Get-CicdEvent -Name shop -DataPath $DataPath
            Get-CicdEvent -After {{first}} -Last 1 -DataPath $DataPath
            Set-CicdProject -Name shop -HealthInterval ([TimeSpan]::FromSeconds(12)) -PassThru -DataPath $DataPath
            Get-CicdEvent -Name nosuch -DataPath $DataPath
            """);

        var outputs = lines.Where(l => l.StartsWith("out=", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { "CicdOps.CicdEvent", "CicdOps.CicdEvent", "CicdOps.CicdEvent", "CicdOps.Project" }, outputs.Select(l => l[4..l.IndexOf('|')]));
        // -Name: that project's events, oldest first.
        Assert.Contains("Project:shop;", outputs[0]);
        Assert.Contains("Kind:Unhealthy;Message:the app died (pid 42 is gone)", outputs[0]);
        Assert.Contains("Kind:Recovered;Message:healthy again after restart 1 (deployment 7);DeploymentId:7", outputs[1]);
        // -After the first id, -Last 1: the next one, whichever project.
        Assert.Contains("Project:blog;", outputs[2]);
        Assert.Contains("HealthInterval:00:00:12", outputs[3]);
        Assert.Equal(new[] { "error=CicdProjectNotFound,CicdOps.Cmdlets.Commands.GetCicdEventCommand" },
            lines.Where(l => l.StartsWith("error=", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':')]));
    }
}
