using CicdOps.Engine.Listener;

namespace CicdOps.Tests.Listener;

/// <summary>Values from requests go into log lines; none may forge a line or a field.</summary>
public sealed class ListenerLogTests
{
    [Fact]
    public void A_clean_value_is_logged_as_it_is_without_a_copy()
    {
        var value = "refs/heads/main";
        Assert.Same(value, ListenerLog.Clean(value));
    }

    [Theory]
    [InlineData(null, "-")]
    [InlineData("", "-")]
    [InlineData("two words", "two_words")]
    [InlineData("evil\nwebhook status=202", "evil?webhook_status=202")]
    [InlineData("quote\"and\ttab", "quote?and?tab")]
    [InlineData("naïve", "na?ve")]
    public void Spaces_control_characters_quotes_and_non_ascii_cannot_forge_a_line_or_a_field(string? value, string logged) =>
        Assert.Equal(logged, ListenerLog.Clean(value));

    [Fact]
    public void Long_values_are_cut_at_120_characters_and_marked()
    {
        var logged = ListenerLog.Clean(new string('a', 500));
        Assert.Equal(new string('a', 120) + "~", logged);
        Assert.Equal(new string('a', 120), ListenerLog.Clean(new string('a', 120)));
    }
}
