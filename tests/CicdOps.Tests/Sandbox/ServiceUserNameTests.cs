using CicdOps.Engine;
using CicdOps.Engine.Sandbox;
using Xunit;

namespace CicdOps.Tests.Sandbox;

public class ServiceUserNameTests
{
    [Theory]
    [InlineData("my-api", "cicd_my-api-a1b2c3")]
    [InlineData("My_API.v2", "cicd_my-api-v2-a1b2c3")]
    [InlineData("---", "cicd_project-a1b2c3")]
    [InlineData("a--b", "cicd_a-b-a1b2c3")]
    [InlineData("ÜBER app", "cicd_ber-app-a1b2c3")]
    public void Derives_a_sanitized_name(string project, string expected) =>
        Assert.Equal(expected, ServiceUserName.Derive(project, "a1b2c3"));

    [Fact]
    public void Long_project_names_are_cut_to_fit_32_characters_and_stay_managed()
    {
        var name = ServiceUserName.Derive(new string('x', 19) + "-" + new string('y', 43), "abcdef");
        Assert.True(name.Length <= 32, name);
        Assert.Equal("cicd_" + new string('x', 19) + "-abcdef", name); // the trailing '-' left by the cut is dropped
        Assert.True(ServiceUserName.IsManaged(name));
        Assert.True(ServiceUserName.IsValid(name));
        var random = ServiceUserName.Derive(new string('z', 63));
        Assert.Equal(32, random.Length);
        Assert.NotEqual(random, ServiceUserName.Derive(new string('z', 63)));
    }

    [Theory]
    [InlineData("root")]
    [InlineData("www-data")]
    [InlineData("deploy")]
    [InlineData("cicd_foo")]
    public void Only_derived_names_count_as_managed(string name) => Assert.False(ServiceUserName.IsManaged(name));

    [Theory]
    [InlineData("")]
    [InlineData("Root")]
    [InlineData("-rf")]
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("../x")]
    [InlineData("a\nb")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")]
    public void Rejects_unsafe_account_names(string name)
    {
        var e = Assert.Throws<CicdException>(() => ServiceUserName.Validate(name));
        Assert.Equal(CicdError.ServiceUserFailed, e.Error);
        Assert.DoesNotContain('\n', e.Message);
    }
}
