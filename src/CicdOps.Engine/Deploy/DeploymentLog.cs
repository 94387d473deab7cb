using System.Text;
using CicdOps.Engine.Secrets;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// One deployment's log file: timestamped lines, flushed as written so `logs --follow` sees them at once.
/// Safe to call from the threads that read a script's stdout and stderr. Every line goes through
/// <see cref="Masker"/>, so a project's secrets never reach the file in clear.
/// </summary>
internal sealed class DeploymentLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly object _gate = new();

    public DeploymentLog(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
    }

    /// <summary>Set once the project's secrets are loaded; lines written before that hold none of them.</summary>
    public SecretMasker Masker { get; set; } = SecretMasker.Empty;

    public void Write(string source, string line)
    {
        var text = $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} [{source}] {Masker.Mask(line)}";
        lock (_gate) _writer.WriteLine(text);
    }

    public void Dispose() { lock (_gate) _writer.Dispose(); }
}
