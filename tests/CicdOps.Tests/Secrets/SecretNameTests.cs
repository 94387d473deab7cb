using CicdOps.Engine;
using CicdOps.Engine.Secrets;
using Xunit;

namespace CicdOps.Tests.Secrets;

public class SecretNameTests
{
    [Theory]
    [InlineData("DATABASE_URL")]
    [InlineData("_x")]
    [InlineData("api_key2")]
    [InlineData("a")]
    public void Accepts_environment_variable_names(string name) => SecretName.Validate(name);

    [Theory]
    [InlineData("")]
    [InlineData("1ABC")]
    [InlineData("A-B")]
    [InlineData("A B")]
    [InlineData("A=B")]
    [InlineData("A\0B")]
    [InlineData("ÄPFEL")]
    [InlineData("A\nB")]
    public void Rejects_malformed_names(string name)
    {
        var e = Assert.Throws<CicdException>(() => SecretName.Validate(name));
        Assert.Equal(CicdError.InvalidSecretName, e.Error);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\0', e.Message);
    }

    [Fact]
    public void Rejects_names_longer_than_255()
    {
        SecretName.Validate(new string('A', 255));
        Assert.Throws<CicdException>(() => SecretName.Validate(new string('A', 256)));
    }

    [Theory]
    [InlineData("CICD_COMMIT")]
    [InlineData("cicd_anything")]
    [InlineData("PATH")]
    [InlineData("home")]
    [InlineData("USER")]
    [InlineData("LD_PRELOAD")]
    [InlineData("LD_LIBRARY_PATH")]
    [InlineData("GLIBC_TUNABLES")]
    [InlineData("GCONV_PATH")]
    [InlineData("BASH_ENV")]
    [InlineData("BASH_FUNC_x%%")]
    [InlineData("LC_ALL")]
    [InlineData("IFS")]
    public void Rejects_reserved_names(string name)
    {
        var e = Assert.Throws<CicdException>(() => SecretName.Validate(name));
        Assert.Equal(CicdError.InvalidSecretName, e.Error);
    }
}
