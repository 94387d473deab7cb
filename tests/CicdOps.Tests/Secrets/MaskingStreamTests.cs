
public sealed class MaskingLineReleaseTests
{
    [Fact]
    public void A_finished_line_is_written_at_once_while_an_unfinished_one_may_wait()
    {
        var masker = CicdOps.Engine.Secrets.SecretMasker.Create(new[] { "s3cr3t-value-for-the-pump" });
        var filter = masker.CreateFilter();
        using var output = new MemoryStream();

        filter.Process("token=s3cr3t-value-for-the-pump\nnext=s3cr"u8, output);
        Assert.Equal("token=***\n", System.Text.Encoding.UTF8.GetString(output.ToArray()));

        filter.Process("3t-value-for-the-pump done\n"u8, output);
        filter.Complete(output);
        Assert.Equal("token=***\nnext=*** done\n", System.Text.Encoding.UTF8.GetString(output.ToArray()));
    }
}
