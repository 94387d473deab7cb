using CicdOps.Engine;
using CicdOps.Engine.Sandbox;
using CicdOps.Engine.Secrets;
using CicdOps.Engine.Validation;

namespace CicdOps.Tests.Validation;

/// <summary>
/// Every pattern must match the whole string: in .NET, '$' also matches before a final '\n', so "name\n"
/// used to pass checks written as ^...$.
/// </summary>
public sealed class WholeStringValidationTests
{
    [Theory]
    [InlineData("tnl\n")]
    [InlineData("app\n")]
    public void A_project_name_with_a_trailing_newline_is_refused(string name)
    {
        var e = Assert.Throws<CicdException>(() => Names.ProjectName(name));
        Assert.Equal(CicdError.InvalidProjectName, e.Error);
    }

    [Fact]
    public void A_commit_with_a_trailing_newline_is_refused() =>
        Assert.Equal(CicdError.InvalidCommit, Assert.Throws<CicdException>(() => Names.Commit("abcdef1\n")).Error);

    [Fact]
    public void A_branch_with_a_trailing_newline_is_refused() =>
        Assert.Equal(CicdError.InvalidBranch, Assert.Throws<CicdException>(() => Names.Branch("main\n")).Error);

    [Theory]
    [InlineData("PATH\n")]
    [InlineData("DATABASE_URL\n")]
    public void A_secret_name_with_a_trailing_newline_is_refused(string name)
    {
        Assert.False(SecretName.HasValidShape(name));
        Assert.Equal(CicdError.InvalidSecretName, Assert.Throws<CicdException>(() => SecretName.Validate(name)).Error);
    }

    [Fact]
    public void A_service_user_name_with_a_trailing_newline_is_neither_valid_nor_managed()
    {
        Assert.False(ServiceUserName.IsValid("www-data\n"));
        Assert.False(ServiceUserName.IsManaged("cicd_app-abcdef\n"));
        Assert.True(ServiceUserName.IsManaged("cicd_app-abcdef"));
    }
}
