using System.Diagnostics;
using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>
/// Regression guard for "Import-Module fails: Could not load CicdOps.Engine": pwsh enumerates the cmdlet
/// assembly's exported types before the module's OnImport registers the engine resolver, so nothing public in it
/// may need the engine. Checked in a fresh process with no resolver, as pwsh would see it.
/// </summary>
public sealed class ExportedSurfaceTests
{
    private static (List<string> Lines, string Stderr) Probe()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "exec", ModulePaths.SurfaceProbe, ModulePaths.ModuleDirectory }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "probe did not finish");
        Assert.True(process.ExitCode == 0, $"probe exited {process.ExitCode}: {stderr.Result}");
        return (stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList(), stderr.Result);
    }

    [Fact]
    public void Every_exported_type_loads_without_the_engine_and_without_a_resolver()
    {
        var (lines, _) = Probe();
        Assert.Empty(lines.Where(l => l.StartsWith("error=", StringComparison.Ordinal)));
        // The probe really saw the cmdlets (16 and more), and nothing pulled the engine in.
        Assert.True(int.Parse(lines.Single(l => l.StartsWith("types=", StringComparison.Ordinal))[6..]) >= 16);
        Assert.Contains("engine.loaded=False", lines);
        Assert.DoesNotContain("resolved=CicdOps.Engine", lines);
    }
}
