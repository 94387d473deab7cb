using System.Diagnostics;
using CicdOps.Tests.Module;

namespace CicdOps.Tests.Fleet;

/// <summary>
/// The fleet cmdlets in PowerShell's own runtime (the built module imported from its manifest by tests/CicdOps.CmdletProbe
/// in a fresh process) against servers with real listeners and one real PostgreSQL registry.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetRolloutCmdletTests
{
    private readonly PostgresCluster _pg;
    public FleetRolloutCmdletTests(PostgresCluster pg) { _pg = pg; }

    private static string ProbeDll => Path.Combine(ModulePaths.RepositoryRoot, "tests", "CicdOps.CmdletProbe", "bin", ModulePaths.Configuration, "net10.0", "CicdOps.CmdletProbe.dll");

    private static Process StartProbe(string dataPath, string script, Dictionary<string, string> env)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "exec", ProbeDll, ModulePaths.ModuleDirectory, dataPath, script }) start.ArgumentList.Add(arg);
        start.Environment["CICDOPS_HOME"] = null;
        foreach (var (k, v) in env) start.Environment[k] = v;
        return Process.Start(start)!;
    }

    private static List<string> Finish(Process p, int seconds = 300)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(seconds * 1000)) { p.Kill(true); Assert.Fail("probe did not finish: " + stdout.Result); }
        Assert.True(p.ExitCode == 0, $"probe exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Fact]
    public void Start_CicdFleetDeployment_runs_waves_and_Get_CicdFleetRollout_reads_them_back()
    {
        using var fleet = new FleetRolloutTests.Fleet(_pg, 2);
        using var probe = StartProbe(fleet.Nodes[0].Cli.DataPath, """
            $r = Start-CicdFleetDeployment shop -Wave -WaveSize 50 -DataPath $DataPath
            $r
            $r.Targets
            Get-CicdFleetRollout -Id $r.Id -DataPath $DataPath
            Start-CicdFleetDeployment shop -WaveSize 0 -DataPath $DataPath
            Start-CicdFleetDeployment shop -WhatIf -DataPath $DataPath
            Set-CicdFleetPin shop -Commit $env:V1 -PassThru -DataPath $DataPath
            Set-CicdFleetPin shop -Clear -DataPath $DataPath
            [pscustomobject]@{ Rollouts = @(Get-CicdFleetRollout shop -DataPath $DataPath).Count }
            """, new() { ["V1"] = fleet.V1 });
        var lines = Finish(probe);

        var outputs = lines.Where(l => l.StartsWith("out=", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { "CicdOps.FleetRollout", "CicdOps.FleetRolloutTarget", "CicdOps.FleetRolloutTarget", "CicdOps.FleetRollout", "CicdOps.FleetRollout", "System.Management.Automation.PSCustomObject" },
            outputs.Select(l => l[4..l.IndexOf('|')]));
        Assert.Contains("Status:Succeeded", outputs[0]);
        Assert.Contains("Waves:True", outputs[0]);
        Assert.Contains("RequestedBy:root@" + fleet.Names[0], outputs[0]);
        Assert.Contains($"Node:{fleet.Names[0]};", outputs[1]);
        Assert.Contains("Wave:1;", outputs[1]);
        Assert.Contains($"ResultCommit:{fleet.V2}", outputs[2]);
        Assert.Contains("Wave:2;", outputs[2]);
        Assert.Contains("Action:Pin", outputs[4]);
        Assert.Contains("Rollouts:3", outputs[5]); // deploy, pin, unpin: the refused and the -WhatIf ones recorded nothing
        var errors = lines.Where(l => l.StartsWith("error=", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        Assert.StartsWith("error=CicdInvalidArgument,CicdOps.Cmdlets.Commands.StartCicdFleetDeploymentCommand", error);
        Assert.Contains("-WaveSize", error);
        Assert.DoesNotContain("--wave-size", error);
        Assert.Equal((fleet.V1, null), (fleet.Project(1).CurrentCommit, fleet.Project(1).PinnedCommit)); // pinned to v1 (deployed), then unpinned
    }

    [Fact]
    public void A_deploy_on_node_A_reaches_Watch_CicdFleet_on_node_B()
    {
        using var fleet = new FleetRolloutTests.Fleet(_pg, 2, hosting: 1);
        var ready = Path.Combine(fleet.Nodes[1].Cli.Root, "watch-ready");
        // The first row (the fleet now) says the watch runs and listens; the row with A's new commit ends it.
        using var probe = StartProbe(fleet.Nodes[1].Cli.DataPath, """
            $ready = $false
            do {
                Watch-CicdFleet -DataPath $DataPath | ForEach-Object {
                    if (-not $ready) { [System.IO.File]::WriteAllText($env:READY, 'ready'); $ready = $true }
                    if ($_.Node -eq $env:NODE_A -and $_.Project -eq 'shop' -and $_.Commit -eq $env:SHA) { $_; break }
                }
            } while ($false)
            """, new() { ["READY"] = ready, ["NODE_A"] = fleet.Names[0], ["SHA"] = fleet.V2 });
        var until = DateTime.UtcNow.AddSeconds(120);
        while (!File.Exists(ready) && !probe.HasExited && DateTime.UtcNow < until) Thread.Sleep(100);
        if (!File.Exists(ready)) Assert.Fail("Watch-CicdFleet wrote nothing: " + string.Join("\n", Finish(probe, 10)));

        fleet.Nodes[0].Cli.Run("deploy", "shop").ShouldExit(0);

        var row = Assert.Single(Finish(probe, 120), l => l.StartsWith("out=", StringComparison.Ordinal));
        Assert.StartsWith("out=CicdOps.FleetUpdate|", row);
        Assert.Contains($"Commit:{fleet.V2}", row);
    }
}
