using System.Diagnostics;
using CicdOps.Tests.Module;

namespace CicdOps.Tests.Cli;

/// <summary>The `./cicdops` script at the root of a checkout (the README's first command), also when linked elsewhere.</summary>
[Collection("cli")]
public sealed class CheckoutWrapperTests
{
    [Fact]
    public void The_wrapper_linked_into_another_folder_runs_the_checkout_it_points_to()
    {
        var folder = Directory.CreateTempSubdirectory("cicdops-bin-").FullName;
        try
        {
            var link = Path.Combine(folder, "cicdops");
            File.CreateSymbolicLink(link, Path.Combine(ModulePaths.RepositoryRoot, "cicdops"));
            var start = new ProcessStartInfo(link) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
            start.ArgumentList.Add("--help");
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            // Generous: the first call after a change builds the CLI.
            Assert.True(process.WaitForExit(300_000), "the wrapper did not finish");
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stderr.Result}");
            Assert.Contains("push-to-deploy", stdout.Result);
            Assert.False(Directory.Exists(Path.Combine(folder, "artifacts")), "the wrapper built into the link's folder");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
