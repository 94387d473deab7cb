using System.Text;
using CicdOps.Engine.Secrets;
using Xunit;

namespace CicdOps.Tests.Secrets;

public class SecretMaskerTests
{
    private const string Secret = "pa55w0rd-XYZ";

    private static string Run(SecretMasker m, params string[] chunks) => RunBytes(m, chunks.Select(Encoding.UTF8.GetBytes).ToArray());

    private static string RunBytes(SecretMasker m, params byte[][] chunks)
    {
        using var output = new MemoryStream();
        using (var s = m.Wrap(output, leaveOpen: true))
            foreach (var c in chunks) s.Write(c);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public void Masks_whole_occurrences()
    {
        var m = SecretMasker.Create(new[] { Secret });
        Assert.Equal("login *** ok *** end", Run(m, $"login {Secret} ok {Secret} end"));
        Assert.Equal("***", Run(m, Secret));
        Assert.Equal("no secrets here", Run(m, "no secrets here"));
    }

    [Fact]
    public void Masks_a_value_split_across_writes_at_every_split_point()
    {
        var m = SecretMasker.Create(new[] { Secret });
        var text = $"a{Secret}b {Secret}";
        for (var i = 0; i <= text.Length; i++)
        for (var j = i; j <= text.Length; j++)
            Assert.Equal("a***b ***", Run(m, text[..i], text[i..j], text[j..]));
    }

    [Fact]
    public void Byte_by_byte_writes_give_the_same_output_as_one_write()
    {
        var secrets = new[] { Secret, "ΩΩ-unicode-ΩΩ", "token123" };
        var m = SecretMasker.Create(secrets);
        var text = $"x {secrets[1]} {Convert.ToBase64String(Encoding.UTF8.GetBytes(secrets[2]))} token12 {Secret}{Secret} y";
        var bytes = Encoding.UTF8.GetBytes(text);
        var whole = RunBytes(m, bytes);
        Assert.Equal(whole, RunBytes(m, bytes.Select(b => new[] { b }).ToArray()));
        Assert.Equal("x *** *** token12 *** y", whole);
    }

    [Fact]
    public void Masks_base64_standalone_and_at_every_alignment_inside_longer_base64()
    {
        var m = SecretMasker.Create(new[] { Secret });
        var raw = Encoding.UTF8.GetBytes(Secret);
        Assert.Equal("Authorization: Basic ***", Run(m, "Authorization: Basic " + Convert.ToBase64String(raw)));
        for (var prefix = 0; prefix < 6; prefix++)
        for (var suffix = 0; suffix < 4; suffix++)
        {
            var blob = new byte[prefix + raw.Length + suffix];
            Array.Fill(blob, (byte)'#');
            raw.CopyTo(blob, prefix);
            var encoded = Convert.ToBase64String(blob);
            var masked = Run(m, encoded);
            Assert.Contains("***", masked);
            // All but the (at most 2) characters shared with neighbouring bytes are hidden.
            var hidden = encoded.Length - masked.Replace("***", "").Length;
            Assert.True(hidden >= 4 * raw.Length / 3 - 2, $"prefix {prefix} suffix {suffix}: '{encoded}' -> '{masked}'");
        }
    }

    [Fact]
    public void Masks_several_secrets_and_overlapping_ones_entirely()
    {
        var m = SecretMasker.Create(new[] { "abcdefgh", "efghijkl", "zzzz" });
        Assert.Equal("[***]", Run(m, "[abcdefghijkl]"));
        Assert.Equal("*** and ***", Run(m, "efghijkl and zzzz"));
        Assert.Equal("***", Run(m, "zzzzzzzzzz"));
        for (var i = 0; i <= 14; i++)
            Assert.Equal("[***]", Run(m, "[abcdefghijkl]"[..i], "[abcdefghijkl]"[i..]));
    }

    [Fact]
    public void Short_and_empty_values_are_not_masked()
    {
        var m = SecretMasker.Create(new[] { "", "on", "abc" });
        Assert.True(m.IsEmpty);
        Assert.Equal("on abc", Run(m, "on abc"));
        Assert.Equal("*** x", SecretMasker.Create(new[] { "abcd" }).Mask("abcd x"));
    }

    [Fact]
    public void Holds_back_at_most_the_longest_pattern_minus_one_and_flushes_on_complete()
    {
        var m = SecretMasker.Create(new[] { Secret });
        var filter = m.CreateFilter();
        using var output = new MemoryStream();
        filter.Process(Encoding.UTF8.GetBytes(new string('x', 100) + Secret[..5]), output);
        Assert.True(filter.PendingCount < Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)).Length);
        Assert.DoesNotContain(Secret[..5], Encoding.UTF8.GetString(output.ToArray()));
        filter.Complete(output);
        Assert.Equal(new string('x', 100) + Secret[..5], Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public void Mask_string_helper_masks_messages()
    {
        var m = SecretMasker.Create(new[] { Secret });
        Assert.Equal("failed: *** rejected", m.Mask($"failed: {Secret} rejected"));
    }

    [Fact]
    public void Random_splits_of_random_text_never_leak()
    {
        var rng = new Random(42);
        var secrets = Enumerable.Range(0, 5).Select(i => Convert.ToHexString(Guid.NewGuid().ToByteArray())[..(6 + i * 3)]).ToArray();
        var m = SecretMasker.Create(secrets);
        for (var round = 0; round < 200; round++)
        {
            var sb = new StringBuilder();
            for (var k = 0; k < 20; k++) sb.Append(rng.Next(3) == 0 ? secrets[rng.Next(secrets.Length)] : "-noise" + rng.Next(100) + "-");
            var bytes = Encoding.UTF8.GetBytes(sb.ToString());
            var chunks = new List<byte[]>();
            for (var pos = 0; pos < bytes.Length;)
            {
                var n = Math.Min(rng.Next(1, 12), bytes.Length - pos);
                chunks.Add(bytes[pos..(pos + n)]);
                pos += n;
            }
            var masked = RunBytes(m, chunks.ToArray());
            Assert.Equal(RunBytes(m, bytes), masked);
            foreach (var s in secrets) Assert.DoesNotContain(s, masked);
        }
    }
}

public class MaskingStreamTests
{
    [Fact]
    public async Task Two_pipes_sharing_one_log_each_mask_their_own_split_secrets()
    {
        const string secret = "sk_live_0123456789";
        var m = SecretMasker.Create(new[] { secret });
        using var log = new MemoryStream();
        var gate = new object();
        var stdout = m.Wrap(log, leaveOpen: true, writeLock: gate);
        var stderr = m.Wrap(log, leaveOpen: true, writeLock: gate);
        var t1 = Task.Run(() => { for (var i = 0; i < 200; i++) { stdout.Write(Encoding.UTF8.GetBytes($"out {secret[..7]}")); stdout.Write(Encoding.UTF8.GetBytes(secret[7..] + "\n")); } });
        var t2 = Task.Run(() => { for (var i = 0; i < 200; i++) { stderr.Write(Encoding.UTF8.GetBytes($"err {secret[..3]}")); stderr.Write(Encoding.UTF8.GetBytes(secret[3..] + "\n")); } });
        await Task.WhenAll(t1, t2);
        stdout.Dispose();
        stderr.Dispose();
        var text = Encoding.UTF8.GetString(log.ToArray());
        Assert.DoesNotContain(secret[..7], text.Replace("sk_live", "")); // no fragment long enough to matter
        Assert.DoesNotContain(secret, text);
        Assert.Equal(400, text.Split("***").Length - 1);
    }

    [Fact]
    public void Dispose_flushes_the_held_tail_and_closes_unless_left_open()
    {
        var m = SecretMasker.Create(new[] { "abcdefgh" });
        var inner = new MemoryStream();
        var s = m.Wrap(inner);
        s.Write("x abcd"u8);
        s.Flush();
        Assert.DoesNotContain("abcd", Encoding.UTF8.GetString(inner.ToArray())); // may be the start of the secret
        s.Dispose();
        Assert.Equal("x abcd", Encoding.UTF8.GetString(inner.ToArray()));
        Assert.False(inner.CanWrite);
    }
}
