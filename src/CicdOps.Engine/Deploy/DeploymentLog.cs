using System.Text;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// One deployment's log file: timestamped lines, flushed as written so `logs --follow` sees them at once.
/// Safe to call from the threads that read a script's stdout and stderr.
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

    public void Write(string source, string line)
    {
        var text = $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} [{source}] {line}";
        lock (_gate) _writer.WriteLine(text);
    }

    public void Dispose() { lock (_gate) _writer.Dispose(); }
}
