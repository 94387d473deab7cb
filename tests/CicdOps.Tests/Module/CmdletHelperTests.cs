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

    [Fact]
    public void A_scoped_cleanup_runs_on_removal_but_not_once_disposed()
    {
        var ran = new List<string>();
        var finished = ModuleCleanup.RegisterScoped(() => ran.Add("finished listener"));
        using var running = ModuleCleanup.RegisterScoped(() => ran.Add("running listener"));
        finished.Dispose();
        finished.Dispose();
        ModuleCleanup.RunAll();
        Assert.Equal(new[] { "running listener" }, ran);
    }

    [Fact]
    public void A_SecureString_webhook_secret_becomes_its_UTF8_bytes()
    {
        using var secret = new System.Security.SecureString();
        foreach (var c in "s3cr\u00e9t \"$(x)") secret.AppendChar(c);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes("s3cr\u00e9t \"$(x)"), WebhookSecrets.FromSecureString(secret));
        using var empty = new System.Security.SecureString();
        Assert.Null(WebhookSecrets.FromSecureString(empty));
    }

    [Fact]
    public void A_SecureString_secret_value_reaches_the_call_as_its_characters_only_for_the_call()
    {
        using var secret = new System.Security.SecureString();
        foreach (var c in "p\u00e4ss \"$(x)") secret.AppendChar(c);
        Assert.Equal("p\u00e4ss \"$(x)", SecretValues.WithChars(secret, chars => chars.ToString()));
        using var empty = new System.Security.SecureString();
        Assert.Equal(0, SecretValues.WithChars(empty, chars => chars.Length));
        // A failing engine call still propagates (the buffers are zeroed in finally).
        Assert.Throws<InvalidOperationException>(() => SecretValues.WithChars<int>(secret, _ => throw new InvalidOperationException()));
    }

    [Theory]
    [InlineData(CicdOps.DeploymentStatus.Running, CicdOps.DeploymentStage.Install, "Install", "Install")]
    [InlineData(CicdOps.DeploymentStatus.Running, CicdOps.DeploymentStage.Health, "Health (rollback)", "Health (rollback)")]
    [InlineData(CicdOps.DeploymentStatus.Queued, null, "waiting for the deployment before it", "Queued: waiting for the deployment before it")]
    [InlineData(CicdOps.DeploymentStatus.RolledBack, CicdOps.DeploymentStage.Health, "RolledBack: health check failed", "RolledBack: health check failed")]
    public void Progress_says_each_stage_once(CicdOps.DeploymentStatus status, CicdOps.DeploymentStage? stage, string message, string expected) =>
        Assert.Equal(expected, DeploymentProgressView.Describe(new CicdOps.Engine.Model.DeploymentProgress(1, "app", status, stage, message)));

    [Fact]
    public void A_SecureString_webhook_secret_reaches_the_listener_process_as_its_characters()
    {
        using var secret = new System.Security.SecureString();
        foreach (var c in "s3cr\u00e9t \"$(x)") secret.AppendChar(c);
        Assert.Equal("s3cr\u00e9t \"$(x)", WebhookSecrets.ToPlainText(secret));
    }

    [Fact]
    public void The_module_executable_counts_only_when_it_is_an_executable_file()
    {
        var root = Directory.CreateTempSubdirectory("cicdops-exe-").FullName;
        try
        {
            var plain = Path.Combine(root, "plain");
            var executable = Path.Combine(root, "cicdops");
            File.WriteAllText(plain, "");
            File.SetUnixFileMode(plain, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(executable, "#!/bin/sh\n");
            File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Assert.True(ExecutableLookup.IsExecutableFile(executable));
            Assert.False(ExecutableLookup.IsExecutableFile(plain));
            Assert.False(ExecutableLookup.IsExecutableFile(Path.Combine(root, "missing")));
            Assert.False(ExecutableLookup.IsExecutableFile(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void The_service_unit_object_shows_the_ExecStart_the_engine_rendered()
    {
        var content = CicdOps.Engine.Service.SystemdUnit.Render(
            new[] { "/usr/local/bin/cicdops", "listen", "--port", "9641", "--bind", "+" }, "/var/lib/cicdops");
        var unit = new CicdOps.Cmdlets.Output.ListenerServiceUnit("/etc/systemd/system/cicdops.service", content, written: false);
        Assert.Equal("/usr/local/bin/cicdops listen --port 9641 --bind +", unit.ExecStart);
        Assert.Equal(content, unit.ToString());
        Assert.False(unit.Written);
    }

    [Fact]
    public void Engines_opened_after_a_module_removal_are_disposed_by_the_next_one()
    {
        var dir = Directory.CreateTempSubdirectory("cicdops-cache-").FullName;
        try
        {
            var first = EngineCache.Get(dir);
            Assert.Same(first, EngineCache.Get(dir));
            ModuleCleanup.RunAll(); // Remove-Module
            var second = EngineCache.Get(dir); // Import-Module again
            Assert.NotSame(first, second);
            ModuleCleanup.RunAll(); // the second removal must dispose it too
            var third = EngineCache.Get(dir);
            Assert.NotSame(second, third);
            ModuleCleanup.RunAll();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>How the cmdlets open the engine when the `cicdops` executable is installed: worker and log pump are used for real.</summary>
public sealed class EngineCacheOptionsTests
{
    [Fact]
    public void With_cicdops_installed_deployments_run_in_its_worker_and_app_output_is_masked()
    {
        using var repo = new CicdOps.Tests.Support.TestRepository();
        using var dir = new CicdOps.Tests.Support.TempDirectory();
        var cicdops = Path.Combine(AppContext.BaseDirectory, "cicdops"); // the CLI's apphost, built beside the tests
        var options = EngineCache.Options(dir.Combine("data"), cicdops);
        using var engine = CicdOps.Engine.CicdEngine.Open(options);
        repo.Write(".cicd/run.sh", "#!/bin/bash\necho \"token=$API_TOKEN\"\nexec sleep 300\n").CommitAndPush();
        engine.RegisterProject(new CicdOps.Engine.Model.ProjectSpec { Name = "app", Repository = repo.Url, Path = dir.Combine("tree") });
        try
        {
            engine.SetSecret("app", "API_TOKEN", "s3cr3t-value-for-the-pump");
            var d = engine.RequestDeployment(new CicdOps.Engine.Model.DeploymentRequest { Project = "app" });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            d = engine.WaitForDeploymentAsync(d.Id, null, timeout.Token).GetAwaiter().GetResult();

            Assert.Equal(CicdOps.DeploymentStatus.Succeeded, d.Status);
            Assert.True(File.Exists(Path.Combine(options.DataPath!, "logs", "app", "worker.log")), "the deployment ran in the detached worker");
            var appLog = Path.Combine(options.DataPath!, "logs", "app", "app.log");
            CicdOps.Tests.Engine.QueueTests.WaitFor(() => File.Exists(appLog) && File.ReadAllText(appLog).Contains("token="));
            var text = File.ReadAllText(appLog);
            Assert.Contains("token=***", text);
            Assert.DoesNotContain("s3cr3t-value-for-the-pump", text);
        }
        finally
        {
            engine.UnregisterProject("app", removeServiceUser: true);
        }
    }

    [Fact]
    public void A_worker_that_cannot_start_is_an_error_with_the_reason_not_an_endless_wait()
    {
        using var repo = new CicdOps.Tests.Support.TestRepository();
        using var dir = new CicdOps.Tests.Support.TempDirectory();
        repo.Write(".cicd/run.sh", "#!/bin/bash\nexec sleep 300\n").CommitAndPush();
        // What a module without its executable (or with one for another CPU) would launch.
        var missing = dir.Combine("module", "bin", "linux-x64", "cicdops");
        var options = EngineCache.Options(dir.Combine("data"), missing);
        using var engine = CicdOps.Engine.CicdEngine.Open(options);
        engine.RegisterProject(new CicdOps.Engine.Model.ProjectSpec { Name = "app", Repository = repo.Url, Path = dir.Combine("tree") });
        try
        {
            var d = engine.RequestDeployment(new CicdOps.Engine.Model.DeploymentRequest { Project = "app" });
            // The bound only keeps a regression from hanging the suite; the engine reports after its first liveness check.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var error = Assert.Throws<CicdOps.Engine.CicdException>(() => engine.WaitForDeploymentAsync(d.Id, null, timeout.Token).GetAwaiter().GetResult());
            Assert.Equal("CicdWorkerFailed", error.ErrorId);
            Assert.Contains("exited with code 127", error.Message);
            Assert.Contains(missing, error.Message); // the shell's "not found" line from worker.log, naming the path
            Assert.False(timeout.IsCancellationRequested);
        }
        finally
        {
            engine.UnregisterProject("app", removeServiceUser: true);
        }
    }
}
