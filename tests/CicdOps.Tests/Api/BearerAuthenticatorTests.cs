using CicdOps.Server.Api;
using CicdOps.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Tests.Api;

/// <summary>
/// The reusable bearer check on real tokens of a real engine, for what no endpoint exercises yet: Operate is needed
/// (a read token is 403), and the header's scheme.
/// </summary>
public sealed class BearerAuthenticatorTests
{
    [Fact]
    public void Operate_needs_an_operate_token_and_only_the_bearer_scheme_counts()
    {
        using var h = new EngineHarness();
        var auth = new BearerAuthenticator(h.Engine.AuthenticateApiToken);
        var read = h.Engine.CreateApiToken(ApiTokenScope.Read, "r").Token;
        var operate = h.Engine.CreateApiToken(ApiTokenScope.Operate, "o").Token;

        Assert.Equal(403, auth.Check(Request("Bearer " + read), ApiTokenScope.Operate).StatusCode);
        Assert.True(auth.Check(Request("Bearer " + operate), ApiTokenScope.Operate).Allowed);
        Assert.True(auth.Check(Request("bearer " + read), ApiTokenScope.Read).Allowed);
        Assert.Equal("not-bearer", auth.Check(Request("Basic " + read), ApiTokenScope.Read).Code);
        Assert.Equal("no-token", auth.Check(Request(null), ApiTokenScope.Read).Code);
        Assert.Equal("token-in-url", auth.Check(Request("Bearer " + read, "?since=" + read), ApiTokenScope.Read).Code);
    }

    private static HttpContext Request(string? authorization, string query = "")
    {
        var c = new DefaultHttpContext();
        c.Request.Method = "GET";
        c.Request.Path = "/api/fleet";
        c.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        if (authorization is not null) c.Request.Headers.Authorization = authorization;
        return c;
    }
}
