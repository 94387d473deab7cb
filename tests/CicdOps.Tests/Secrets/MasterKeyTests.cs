using CicdOps.Engine;
using CicdOps.Engine.Secrets;
using Xunit;

namespace CicdOps.Tests.Secrets;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class MasterKeyTests
{
    [Fact]
    public void Creates_a_32_byte_key_with_mode_0600_and_reuses_it()
    {
        using var dir = new TempDataDir();
        using var first = MasterKey.Load(dir.Path, keyFileOverride: null);
        var path = Path.Combine(dir.Path, MasterKey.FileName);
        Assert.Equal(path, first.FilePath);
        Assert.Equal(32, new FileInfo(path).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using var second = MasterKey.Load(dir.Path);
        Assert.True(first.Bytes.SequenceEqual(second.Bytes));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Concurrent_first_use_ends_with_one_key()
    {
        // Repeated, because the race it guards against (a check-then-rename replacing the key a racer already
        // read) loses only now and then.
        for (var round = 0; round < 20; round++)
        {
            using var dir = new TempDataDir();
            var keys = new byte[16][];
            Parallel.For(0, keys.Length, new ParallelOptions { MaxDegreeOfParallelism = keys.Length }, i =>
            {
                using var k = MasterKey.Load(dir.Path);
                keys[i] = k.Bytes.ToArray();
            });
            Assert.All(keys, k => Assert.Equal(keys[0], k));
            using var onDisk = MasterKey.Load(dir.Path);
            Assert.Equal(keys[0], onDisk.Bytes.ToArray());
        }
    }

    [Fact]
    public void Reads_the_file_named_by_the_override_raw_or_base64()
    {
        using var dir = new TempDataDir();
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var raw = Path.Combine(dir.Path, "raw.key");
        File.WriteAllBytes(raw, key);
        File.SetUnixFileMode(raw, UnixFileMode.UserRead);
        var b64 = Path.Combine(dir.Path, "b64.key");
        File.WriteAllText(b64, Convert.ToBase64String(key) + "\n");
        File.SetUnixFileMode(b64, UnixFileMode.UserRead);

        using (var k = MasterKey.Load(dir.Path, raw)) Assert.Equal(key, k.Bytes.ToArray());
        using (var k = MasterKey.Load(dir.Path, b64)) Assert.Equal(key, k.Bytes.ToArray());
        Assert.False(File.Exists(Path.Combine(dir.Path, MasterKey.FileName)));
    }

    [Fact]
    public void Rejects_a_key_of_the_wrong_size_without_echoing_it()
    {
        using var dir = new TempDataDir();
        var path = Path.Combine(dir.Path, "short.key");
        File.WriteAllText(path, "hunter2-not-a-key");
        File.SetUnixFileMode(path, UnixFileMode.UserRead);
        var e = Assert.Throws<CicdException>(() => MasterKey.Load(dir.Path, path));
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Fact]
    public void Rejects_a_key_file_other_users_can_read()
    {
        using var dir = new TempDataDir();
        var path = Path.Combine(dir.Path, "open.key");
        File.WriteAllBytes(path, new byte[32]);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var e = Assert.Throws<CicdException>(() => MasterKey.Load(dir.Path, path));
        Assert.Equal(CicdError.DataDirectoryUnavailable, e.Error);
    }

    [Fact]
    public void Missing_override_file_is_an_error_not_a_new_key()
    {
        using var dir = new TempDataDir();
        var path = Path.Combine(dir.Path, "absent.key");
        Assert.Throws<CicdException>(() => MasterKey.Load(dir.Path, path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Dispose_zeroes_and_blocks_the_key()
    {
        using var dir = new TempDataDir();
        var k = MasterKey.Load(dir.Path);
        k.Dispose();
        Assert.Throws<ObjectDisposedException>(() => k.Bytes.ToArray());
    }
}
