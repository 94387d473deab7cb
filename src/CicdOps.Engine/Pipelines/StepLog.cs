using System.Globalization;
using CicdOps.Engine.Secrets;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// One step's log file: every line timestamped (UTC, milliseconds) and marked by where it came from — `out` and
/// `err` for the command's stdout and stderr, `cicd` for the runner's own lines — and masked for the project's
/// secrets before it is written. Lines from stdout and stderr arrive on two threads; each is written whole.
/// </summary>
internal sealed class StepLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly SecretMasker _masker;
    private readonly object _lock = new();
    private bool _closed;

    /// <param name="append">Add to an existing log (a cache step's log gets the save at the end of the run).</param>
    public StepLog(string path, SecretMasker masker, bool append = false)
    {
        Path = path;
        _masker = masker;
        _writer = new StreamWriter(new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public string Path { get; }

    public void Out(string line) => Write("out", line);
    public void Err(string line) => Write("err", line);
    public void Runner(string line) => Write("cicd", line);

    private void Write(string stream, string line)
    {
        var text = $"{DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)} {stream,-4} {_masker.Mask(line)}";
        // A daemon the step left behind may still write after the step ended; its late lines are dropped.
        lock (_lock) if (!_closed) _writer.WriteLine(text);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _closed = true;
            _writer.Dispose();
        }
    }
}
