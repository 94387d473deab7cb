using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

/// <summary>Branch names, project names, repositories and commits are data: they never run anything.</summary>
public sealed class HostileInputTests
{
    [Theory]
    [InlineData("--upload-pack=touch pwned")]
    [InlineData("-c")]
    [InlineData("main;touch pwned")]
    [InlineData("$(touch pwned)")]
    [InlineData("a..b")]
    [InlineData("x y")]
    public void A_hostile_branch_name_is_rejected_and_runs_nothing(string branch)
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var cwd = Directory.GetCurrentDirectory();

        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "tree"), Branch = branch,
        }));

        Assert.Equal("CicdInvalidBranch", e.ErrorId);
        Assert.Empty(h.Engine.GetProjects());
        Assert.False(File.Exists(Path.Combine(cwd, "pwned")));
        Assert.False(File.Exists(Path.Combine(repo.WorkPath, "pwned")));
    }

    [Fact]
    public void A_branch_that_looks_like_an_option_but_is_valid_for_git_is_passed_as_data()
    {
        // "x--upload-pack=touch" is a legal branch name; it must reach git as a ref, not an option.
        using var repo = new TestRepository("x--upload-pack=touch_pwned");
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        Assert.False(File.Exists(Path.Combine(h.Engine.GetProject("app").Path, "pwned")));
    }

    [Theory]
    [InlineData("App")]
    [InlineData("-app")]
    [InlineData("../etc")]
    [InlineData("a;b")]
    [InlineData("")]
    [InlineData("name with space")]
    public void An_invalid_project_name_is_one_clear_error_and_changes_nothing(string name)
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();

        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec { Name = name, Repository = repo.Url, Path = Path.Combine(h.Root, "t") }));

        Assert.Equal("CicdInvalidProjectName", e.ErrorId);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(h.Engine.GetProjects());
    }

    [Fact]
    public void A_64_character_name_is_rejected_and_63_is_accepted()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        Assert.Throws<CicdException>(() => h.Register(repo, name: new string('a', 64)));
        Assert.Equal(new string('a', 63), h.Register(repo, name: new string('a', 63)).Name);
    }

    [Theory]
    [InlineData("ext::sh -c touch% /tmp/pwned")]
    [InlineData("--upload-pack=touch /tmp/pwned")]
    [InlineData("fd::17")]
    [InlineData("relative/path")]
    [InlineData("ftp://example.com/repo.git")]
    public void A_repository_git_would_treat_as_a_command_is_rejected(string repository)
    {
        using var h = new EngineHarness();
        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec { Name = "app", Repository = repository, Path = Path.Combine(h.Root, "t") }));
        Assert.Equal("CicdInvalidRepository", e.ErrorId);
        Assert.Empty(h.Engine.GetProjects());
    }

    [Theory]
    [InlineData("https://github.com/org/app.git")]
    [InlineData("ssh://git@github.com/org/app.git")]
    [InlineData("git@github.com:org/app.git")]
    [InlineData("git://example.com/app.git")]
    [InlineData("file:///srv/git/app.git")]
    [InlineData("/srv/git/app.git")]
    public void Every_repository_form_ops_teams_use_is_accepted(string repository) =>
        Assert.Equal(repository, CicdOps.Engine.Validation.RepositoryUrl.Validate(repository));

    [Theory]
    [InlineData("--output=/tmp/x")]
    [InlineData("HEAD~1")]
    [InlineData("main")]
    [InlineData("abc")]
    public void A_commit_that_is_not_a_sha_is_rejected_before_anything_is_queued(string commit)
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);

        var e = Assert.Throws<CicdException>(() => h.Engine.RequestDeployment(new DeploymentRequest { Project = "app", Commit = commit }));

        Assert.Equal("CicdInvalidCommit", e.ErrorId);
        Assert.Empty(h.Engine.GetDeployments("app"));
    }
}
