using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

public sealed class BadInputTests
{
    [Fact]
    public void An_unknown_project_is_CicdProjectNotFound_everywhere()
    {
        using var h = new EngineHarness();
        foreach (var call in new Action[]
        {
            () => h.Engine.GetProject("nope"),
            () => h.Engine.RequestDeployment(new DeploymentRequest { Project = "nope" }),
            () => h.Engine.CancelDeployment("nope"),
            () => h.Engine.Pin("nope", null),
            () => h.Engine.Unpin("nope"),
            () => h.Engine.Rollback("nope", null, false, false),
            () => h.Engine.UnregisterProject("nope"),
            () => h.Engine.UpdateProject("nope", new ProjectUpdate { Port = 80 }),
            () => h.Engine.GetDeployments("nope"),
        })
        {
            var e = Assert.Throws<CicdException>(call);
            Assert.Equal("CicdProjectNotFound", e.ErrorId);
            Assert.Equal(CicdErrorKind.NotFound, e.Kind);
            Assert.Equal("nope", e.Target);
        }
    }

    [Fact]
    public void An_unreachable_repository_is_refused_at_registration_and_nothing_is_stored()
    {
        using var h = new EngineHarness();
        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = "file:///nonexistent/repo.git", Path = Path.Combine(h.Root, "t"),
        }));
        Assert.Equal("CicdRepositoryUnreachable", e.ErrorId);
        Assert.Empty(h.Engine.GetProjects());
        Assert.False(Directory.Exists(Path.Combine(h.Root, "t")));
    }

    [Fact]
    public void A_missing_branch_is_refused_at_registration()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "t"), Branch = "mian",
        }));
        Assert.Equal("CicdInvalidBranch", e.ErrorId);
        Assert.Empty(h.Engine.GetProjects());
    }

    [Fact]
    public void Registering_twice_or_sharing_a_path_is_refused_and_the_first_stays_as_it_was()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var first = h.Register(repo);

        Assert.Equal("CicdProjectExists", Assert.Throws<CicdException>(() => h.Register(repo, port: 8080)).ErrorId);
        var sharing = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec { Name = "other", Repository = repo.Url, Path = first.Path }));
        Assert.Equal("CicdInvalidPath", sharing.ErrorId);
        Assert.Equal(first, h.Engine.GetProject("app"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(-1)]
    public void An_invalid_port_is_refused_and_the_project_is_unchanged(int port)
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var before = h.Register(repo, port: 8080);

        Assert.Equal("CicdInvalidPort", Assert.Throws<CicdException>(() => h.Engine.UpdateProject("app", new ProjectUpdate { Port = port })).ErrorId);
        Assert.Equal(before, h.Engine.GetProject("app"));
    }

    [Fact]
    public void A_working_tree_inside_the_data_directory_is_refused()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.DataPath, "logs"),
        }));
        Assert.Equal("CicdInvalidPath", e.ErrorId);
    }

    [Fact]
    public void Project_settings_can_be_changed_and_registration_defaults_are_sensible()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var p = h.Engine.RegisterProject(new ProjectSpec { Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "t") });
        Assert.Equal("main", p.Branch);
        Assert.Equal(TimeSpan.FromMinutes(30), p.InstallTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), p.HealthTimeout);
        Assert.Equal(ProjectStatus.Registered, p.Status);
        Assert.Empty(h.Engine.GetDeployments("app")); // registering does not deploy

        var changed = h.Engine.UpdateProject("app", new ProjectUpdate { Port = 8080, HealthTimeout = TimeSpan.FromSeconds(3) });
        Assert.Equal(8080, changed.Port);
        Assert.Equal(TimeSpan.FromSeconds(3), changed.HealthTimeout);
        Assert.Null(h.Engine.UpdateProject("app", new ProjectUpdate { ClearPort = true }).Port);
    }

    [Fact]
    public void Cancel_with_nothing_to_cancel_is_a_clear_error()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        Assert.Equal("CicdNothingToCancel", Assert.Throws<CicdException>(() => h.Engine.CancelDeployment("app")).ErrorId);
    }
}
