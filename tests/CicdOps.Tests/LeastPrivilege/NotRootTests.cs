using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.LeastPrivilege;

/// <summary>
/// An engine that is not root still deploys (as its own user) and says why projects are not sandboxed.
/// A real engine process runs as the unprivileged 'nobody' (the test host, public API only).
/// </summary>
public sealed class NotRootTests
{
    [RootFact]
    public void Running_as_a_non_root_user_deploys_as_that_user_and_warns_once()
    {
        using var dir = new TempDirectory("cicdops-nonroot");
        using var repo = new TestRepository();
        var ids = dir.Combine("ids");
        repo.Write(".cicd/run.sh", $"#!/bin/bash\nid -u > \"{ids}\"\nexec sleep 300\n")
            .Write(".cicd/health.sh", $"#!/bin/bash\ntest -s \"{ids}\"\n").CommitAndPush();
        var host = HostReadableByOthers(dir);
        // Everything the unprivileged engine touches is its own, as it would be in its home.
        Run.Command("chown", null, "-R", "nobody:nogroup", dir.Path, Path.GetDirectoryName(repo.BarePath)!);

        var (code, stdout, stderr) = Run.TryWithEnv("setpriv", "/",
            new Dictionary<string, string?> { ["HOME"] = dir.Path, ["DOTNET_CLI_HOME"] = dir.Path, ["CICDOPS_HOME"] = null, ["CICDOPS_MASTER_KEY_FILE"] = null },
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
            SudoDuringInstallTests.Dotnet, host, "register-deploy", dir.Combine("data"), "app", repo.Url, dir.Combine("tree"));

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("STATUS Succeeded", stdout);
        Assert.Contains("SANDBOXED False", stdout);
        Assert.Contains("TRACKING process group", stdout); // cgroups need root: the fallback, detected at runtime
        var warnings = stdout.Split('\n').Where(l => l.StartsWith("WARNING: ")).ToList();
        Assert.Single(warnings);
        Assert.Contains("not running as root", warnings[0]);
        Assert.Equal(Run.Command("id", null, "-u", "nobody").Trim(), File.ReadAllText(ids).Trim());
    }

    /// <summary>
    /// The test host, where 'nobody' can reach it: the build output itself when every directory above it is
    /// traversable by others, otherwise a copy inside <paramref name="dir"/> (a checkout under a 0700 directory,
    /// such as one made by mktemp -d, is not).
    /// </summary>
    private static string HostReadableByOthers(TempDirectory dir)
    {
        var bin = AppContext.BaseDirectory.TrimEnd('/');
        var open = true;
        for (var d = new DirectoryInfo(bin); d is not null; d = d.Parent)
            open &= (File.GetUnixFileMode(d.FullName) & UnixFileMode.OtherExecute) != 0;
        if (open) return SudoDuringInstallTests.TestHost;
        var copy = dir.Combine("testhost");
        foreach (var file in Directory.EnumerateFiles(bin, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(bin, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return Path.Combine(copy, Path.GetFileName(SudoDuringInstallTests.TestHost));
    }
}
