using System.Diagnostics;
using CicdOps.Engine.Model;
using CicdOps.Tests.Module;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Fleet;

/// <summary>
/// The *-CicdFleet cmdlets run for real: the built module imported from its manifest into PowerShell's own runtime
/// (System.Management.Automation, hosted by tests/CicdOps.CmdletProbe in a fresh process), against the tests' PostgreSQL.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetCmdletTests
{
    private readonly PostgresCluster _pg;
    public FleetCmdletTests(PostgresCluster pg) { _pg = pg; }

    private static string ProbeDll => Path.Combine(ModulePaths.RepositoryRoot, "tests", "CicdOps.CmdletProbe", "bin", ModulePaths.Configuration, "net10.0", "CicdOps.CmdletProbe.dll");

    private static List<string> Run(string dataPath, string registry, string script)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "exec", ProbeDll, ModulePaths.ModuleDirectory, dataPath, script }) start.ArgumentList.Add(arg);
        start.Environment["CICDOPS_PROBE_REGISTRY"] = registry;
        start.Environment["CICDOPS_HOME"] = null;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "probe did not finish");
        Assert.True(p.ExitCode == 0, $"probe exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Fact]
    public void Connect_get_and_disconnect_in_powershell()
    {
        var db = _pg.CreateDatabase();
        using var dir = new TempDirectory("cicdops-cmdlet");
        var data = dir.Combine("data");
        using var repo = new TestRepository();
        repo.WriteSleeper("v1", dir.Path).CommitAndPush("v1");
        using (var engine = CicdEngine.Open(new EngineOptions { DataPath = data }))
            engine.RegisterProject(new ProjectSpec { Name = "shop", Repository = repo.Url, Path = dir.Combine("tree"), Branch = repo.Branch });

        var lines = Run(data, _pg.Uri(db), """
            Connect-CicdFleet -Registry $RegistryUri -NodeName ps-node -SyncIntervalSeconds 2 -DataPath $DataPath
            Get-CicdFleet -DataPath $DataPath
            Get-CicdFleet -AsNode -Node 'ps-*' -DataPath $DataPath
            Get-CicdFleet -Project 'nothing*' -DataPath $DataPath
            Disconnect-CicdFleet -Confirm:$false -DataPath $DataPath
            Get-CicdFleet -DataPath $DataPath
            """);

        Assert.DoesNotContain(lines, l => l.Contains(_pg.Password));
        var outputs = lines.Where(l => l.StartsWith("out=", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { "CicdOps.FleetNode", "CicdOps.FleetProject", "CicdOps.FleetNode", "CicdOps.FleetNode" },
            outputs.Select(l => l[4..l.IndexOf('|')]));
        Assert.Contains("Name:ps-node", outputs[0]);
        Assert.Contains("State:Online", outputs[0]);
        Assert.Contains("Name:shop", outputs[1]);
        Assert.Contains("Node:ps-node", outputs[1]);
        Assert.Equal(new[] { "error=CicdNotInFleet,CicdOps.Cmdlets.Commands.GetCicdFleetCommand" },
            lines.Where(l => l.StartsWith("error=", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':')]));
        Assert.DoesNotContain(lines, l => l.StartsWith("warning=", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreachable_registry_is_refused_in_powershell_words_unless_forced()
    {
        using var dir = new TempDirectory("cicdops-cmdlet");
        var data = dir.Combine("data");
        var dead = $"postgres://u:pw-never-shown@127.0.0.1:{FreePort.Next()}/db";

        var lines = Run(data, dead, """
            Connect-CicdFleet -Registry $RegistryUri -DataPath $DataPath
            Get-CicdFleet -DataPath $DataPath
            Connect-CicdFleet -Registry $RegistryUri -Force -DataPath $DataPath
            """);

        Assert.DoesNotContain(lines, l => l.Contains("pw-never-shown"));
        var errors = lines.Where(l => l.StartsWith("error=", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, errors.Count);
        Assert.StartsWith("error=CicdFleetRegistryUnavailable,CicdOps.Cmdlets.Commands.ConnectCicdFleetCommand", errors[0]);
        Assert.Contains("-Force", errors[0]);
        Assert.DoesNotContain("--force", errors[0]);
        Assert.StartsWith("error=CicdNotInFleet", errors[1]);
        Assert.Contains(lines, l => l.StartsWith("warning=Joined postgres://***@127.0.0.1:", StringComparison.Ordinal) && l.Contains("not published yet"));
    }
}
