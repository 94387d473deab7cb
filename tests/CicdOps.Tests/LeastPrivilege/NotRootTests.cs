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
        // Everything the unprivileged engine touches is its own, as it would be in its home.
        Run.Command("chown", null, "-R", "nobody:nogroup", dir.Path, Path.GetDirectoryName(repo.BarePath)!);

        var (code, stdout, stderr) = Run.TryWithEnv("setpriv", "/",
            new Dictionary<string, string?> { ["HOME"] = dir.Path, ["DOTNET_CLI_HOME"] = dir.Path, ["CICDOPS_HOME"] = null, ["CICDOPS_MASTER_KEY_FILE"] = null },
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
            SudoDuringInstallTests.Dotnet, SudoDuringInstallTests.TestHost, "register-deploy", dir.Combine("data"), "app", repo.Url, dir.Combine("tree"));

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("STATUS Succeeded", stdout);
        Assert.Contains("SANDBOXED False", stdout);
        var warnings = stdout.Split('\n').Where(l => l.StartsWith("WARNING: ")).ToList();
        Assert.Single(warnings);
        Assert.Contains("not running as root", warnings[0]);
        Assert.Equal(Run.Command("id", null, "-u", "nobody").Trim(), File.ReadAllText(ids).Trim());
    }
}
