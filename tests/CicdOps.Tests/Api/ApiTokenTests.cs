using CicdOps.Engine;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Api;

/// <summary>API tokens in the engine: shown once, stored hashed, checked by id and hash, revoked and expired ones refused.</summary>
public sealed class ApiTokenTests
{
    [Fact]
    public void A_token_authenticates_until_revoked_and_a_near_miss_never_does()
    {
        using var h = new EngineHarness();
        var t = h.Engine.CreateApiToken(ApiTokenScope.Read, "dash");
        Assert.Matches(@"\Acicd_\d+_[A-Za-z0-9_-]{43}\z", t.Token);
        Assert.Equal("dash", h.Engine.AuthenticateApiToken(t.Token)!.Name);
        Assert.NotNull(h.Engine.GetApiTokens().Single().LastUsedAt);

        var secret = t.Token[^43..];
        var flipped = t.Token[..^1] + (t.Token[^1] == 'A' ? 'B' : 'A');
        Assert.Null(h.Engine.AuthenticateApiToken(flipped));
        Assert.Null(h.Engine.AuthenticateApiToken($"cicd_{t.Id + 1}_{secret}")); // the right secret on another row
        Assert.Null(h.Engine.AuthenticateApiToken(secret));
        Assert.Null(h.Engine.AuthenticateApiToken(""));
        Assert.Null(h.Engine.AuthenticateApiToken(null));

        Assert.True(h.Engine.RevokeApiToken("dash").IsRevoked);
        Assert.Null(h.Engine.AuthenticateApiToken(t.Token));
        Assert.True(h.Engine.RevokeApiToken(t.Id.ToString()).IsRevoked); // by id, and twice is harmless
    }

    [Fact]
    public void An_expired_token_is_refused()
    {
        using var h = new EngineHarness();
        var t = h.Engine.CreateApiToken(ApiTokenScope.Operate, expiresAt: DateTimeOffset.UtcNow.AddMilliseconds(300));
        Assert.StartsWith("token-", t.Name);
        while (DateTimeOffset.UtcNow <= t.ExpiresAt) Thread.Sleep(50);
        Assert.Null(h.Engine.AuthenticateApiToken(t.Token));
    }

    [Fact]
    public void Bad_names_duplicates_past_expiries_and_unknown_tokens_are_one_clear_error_each()
    {
        using var h = new EngineHarness();
        h.Engine.CreateApiToken(ApiTokenScope.Read, "ci");
        Assert.Equal(CicdError.ApiTokenExists, Assert.Throws<CicdException>(() => h.Engine.CreateApiToken(ApiTokenScope.Read, "ci")).Error);
        Assert.Equal(CicdError.InvalidArgument, Assert.Throws<CicdException>(() => h.Engine.CreateApiToken(ApiTokenScope.Read, "no spaces")).Error);
        Assert.Equal(CicdError.InvalidArgument, Assert.Throws<CicdException>(() => h.Engine.CreateApiToken(ApiTokenScope.Read, "x", DateTimeOffset.UtcNow.AddDays(-1))).Error);
        Assert.Equal(CicdError.InvalidArgument, Assert.Throws<CicdException>(() => h.Engine.CreateApiToken((ApiTokenScope)7)).Error);
        Assert.Equal(CicdError.ApiTokenNotFound, Assert.Throws<CicdException>(() => h.Engine.RevokeApiToken("nope")).Error);
        Assert.Single(h.Engine.GetApiTokens());
    }
}
