using System.Runtime.Versioning;
using CicdOps.Engine;
using CicdOps.Engine.Sandbox;
using CicdOps.Engine.Secrets;
using CicdOps.Engine.State;
using Xunit;

namespace CicdOps.Tests.Sandbox;

[SupportedOSPlatform("linux")]
public class IsolationTests
{
    [RootFact]
    public void One_projects_files_are_closed_to_another_projects_user()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("proj-a");
        var b = s.CreateAccount("proj-b");
        var pathA = s.ProjectDir("a");
        var pathB = s.ProjectDir("b");
        Directory.CreateDirectory(Path.Combine(pathA, ".git"));
        File.WriteAllText(Path.Combine(pathA, ".git", "config"), "[core]\n");
        File.WriteAllText(Path.Combine(pathA, "app.env"), "A-private");
        File.SetUnixFileMode(Path.Combine(pathA, "app.env"), (UnixFileMode)0b110_100_100); // 0644 as a checkout leaves it
        File.CreateSymbolicLink(Path.Combine(pathA, "escape"), "/etc/hostname");

        s.Sandbox.PrepareProjectPath(pathA, a);
        s.Sandbox.PrepareProjectPath(pathB, b);

        Assert.Equal(ProjectPathPermissions.RootMode, File.GetUnixFileMode(pathA));
        Assert.Equal($"{a.Uid}:{a.Gid}", UnixAccountsTests.Tool("stat", "-c", "%u:%g", Path.Combine(pathA, ".git", "config")).Trim());
        // The symlink itself changed owner; its target did not.
        Assert.Equal($"{a.Uid}:{a.Gid}", UnixAccountsTests.Tool("stat", "-c", "%u:%g", Path.Combine(pathA, "escape")).Trim());
        Assert.Equal("0:0", UnixAccountsTests.Tool("stat", "-c", "%u:%g", "/etc/hostname").Trim());

        var asA = s.Sandbox.PlanLaunch(a, null, null);
        var asB = s.Sandbox.PlanLaunch(b, null, null);
        Assert.Equal("A-private", Launch.Run(asA, "/bin/cat", Path.Combine(pathA, "app.env")).Stdout);
        var denied = Launch.Run(asB, "/bin/cat", Path.Combine(pathA, "app.env"));
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Permission denied", denied.Stderr);
        Assert.NotEqual(0, Launch.Run(asB, "/bin/ls", pathA).ExitCode);
        Assert.Equal(0, Launch.Run(asB, "/usr/bin/touch", Path.Combine(pathB, "mine")).ExitCode);
        Assert.NotEqual(0, Launch.Run(asB, "/usr/bin/touch", Path.Combine(pathA, "intruder")).ExitCode);
    }

    [RootFact]
    public void A_project_user_cannot_read_the_state_database_or_the_master_key()
    {
        using var s = new SandboxScratch();
        var b = s.CreateAccount("proj-b");
        Directory.CreateDirectory(s.DataPath);
        File.SetUnixFileMode(s.DataPath, (UnixFileMode)0b111_101_101); // start wide open: Enforce must fix it
        var db = new Database(s.DataPath);
        db.Initialize();
        using (var key = MasterKey.Load(s.DataPath)) { }
        File.SetUnixFileMode(db.FilePath, (UnixFileMode)0b110_100_100);
        // Database.Initialize leaves the WAL and SHM at the umask's mode (0644 under umask 022): Enforce must narrow them.
        File.SetUnixFileMode(db.FilePath + "-wal", (UnixFileMode)0b110_100_100);
        File.SetUnixFileMode(db.FilePath + "-shm", (UnixFileMode)0b110_100_100);

        s.Sandbox.SecureDataDirectory(s.DataPath);

        Assert.Equal(DataDirectoryPermissions.DirectoryMode, File.GetUnixFileMode(s.DataPath));
        Assert.Equal(DataDirectoryPermissions.FileMode, File.GetUnixFileMode(db.FilePath));
        Assert.Equal(DataDirectoryPermissions.FileMode, File.GetUnixFileMode(Path.Combine(s.DataPath, MasterKey.FileName)));
        // The pool keeps a connection open, so the WAL and shared-memory files exist; they were created
        // before Initialize narrowed the database's mode and must be narrowed too.
        Assert.True(File.Exists(db.FilePath + "-wal"));
        Assert.Equal(DataDirectoryPermissions.FileMode, File.GetUnixFileMode(db.FilePath + "-wal"));
        Assert.Equal(DataDirectoryPermissions.FileMode, File.GetUnixFileMode(db.FilePath + "-shm"));
        var asB = s.Sandbox.PlanLaunch(b, null, null);
        Assert.NotEqual(0, Launch.Run(asB, "/bin/cat", db.FilePath).ExitCode);
        Assert.NotEqual(0, Launch.Run(asB, "/bin/cat", Path.Combine(s.DataPath, MasterKey.FileName)).ExitCode);
        Assert.NotEqual(0, Launch.Run(asB, "/bin/ls", s.DataPath).ExitCode);

        // Even if the directory were opened up again, the files themselves stay closed.
        File.SetUnixFileMode(s.DataPath, (UnixFileMode)0b111_101_101);
        foreach (var file in new[] { db.FilePath, db.FilePath + "-wal", db.FilePath + "-shm", Path.Combine(s.DataPath, MasterKey.FileName) })
        {
            var direct = Launch.Run(asB, "/bin/cat", file);
            Assert.NotEqual(0, direct.ExitCode);
            Assert.Contains("Permission denied", direct.Stderr);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [RootFact]
    public void Another_projects_user_cannot_read_a_running_processs_secrets()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("env-a");
        var b = s.CreateAccount("env-b");
        var plan = s.Sandbox.PlanLaunch(a, null, new Dictionary<string, string> { ["API_TOKEN"] = "tok-only-for-a-991" });
        var psi = plan.Apply(new System.Diagnostics.ProcessStartInfo("/bin/sleep") { ArgumentList = { "30" }, UseShellExecute = false });
        using var app = System.Diagnostics.Process.Start(psi)!;
        try
        {
            // setpriv execs the program, so the pid is the app's; wait until the exec happened.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!File.ReadAllText($"/proc/{app.Id}/cmdline").StartsWith("/bin/sleep") && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.DoesNotContain("tok-only-for-a-991", File.ReadAllText($"/proc/{app.Id}/cmdline"));
            Assert.Contains("tok-only-for-a-991", Launch.Run(s.Sandbox.PlanLaunch(a, null, null), "/bin/cat", $"/proc/{app.Id}/environ").Stdout);
            var fromB = Launch.Run(s.Sandbox.PlanLaunch(b, null, null), "/bin/cat", $"/proc/{app.Id}/environ");
            Assert.NotEqual(0, fromB.ExitCode);
            Assert.DoesNotContain("tok-only-for-a-991", fromB.Stdout);
        }
        finally
        {
            app.Kill();
            app.WaitForExit();
        }
    }

    [RootFact]
    public void Refuses_dangerous_project_paths()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("paths");
        Directory.CreateDirectory(Path.Combine(s.DataPath, "inner"));
        var link = Path.Combine(s.Root, "link");
        Directory.CreateSymbolicLink(link, s.ProjectDir("real"));
        foreach (var bad in new[] { "/", "/etc", "/usr/", "relative/path", s.DataPath, Path.Combine(s.DataPath, "inner"), s.Root + "/../" + Path.GetFileName(s.Root), link, Path.Combine(s.Root, "missing") })
        {
            var e = Assert.Throws<CicdException>(() => s.Sandbox.PrepareProjectPath(bad, a));
            Assert.Equal(CicdError.InvalidPath, e.Error);
        }
        Assert.Equal("0:0", UnixAccountsTests.Tool("stat", "-c", "%u:%g", s.Root).Trim());
    }
}
