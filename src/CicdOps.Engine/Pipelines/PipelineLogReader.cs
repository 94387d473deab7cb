using System.Text;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Reads a run's step logs (step-N.log in its log directory) line by line, and with follow keeps reading as the run
/// writes them — moving on to the next step's file when it appears — until the run has finished and all is read.
/// </summary>
internal static class PipelineLogReader
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    public static async Task ReadAsync(string directory, int? onlyStep, bool follow, Func<PipelineRun> current, Action<string> line,
        CancellationToken cancellationToken)
    {
        var step = onlyStep ?? 0;
        long offset = 0;
        var partial = new StringBuilder();
        var headerWritten = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            // The finished flag first: whatever was written before the run finished is then read below.
            var run = current();
            var finished = !follow || run.IsFinished;
            var path = Path.Combine(directory, $"step-{step}.log");
            var read = File.Exists(path) ? ReadFrom(path, ref offset) : "";
            if (read.Length > 0 && onlyStep is null && !headerWritten)
            {
                line(Header(run, step));
                headerWritten = true;
            }
            foreach (var c in read)
            {
                if (c != '\n') { partial.Append(c); continue; }
                line(partial.ToString());
                partial.Clear();
            }
            if (read.Length > 0) continue;
            // This step's file is drained: on to the next one when it exists (it is only made once this step ended).
            if (onlyStep is null && File.Exists(Path.Combine(directory, $"step-{step + 1}.log")))
            {
                Flush();
                step++;
                offset = 0;
                headerWritten = false;
                continue;
            }
            if (finished)
            {
                // Steps that never made a log (skipped, not run) leave gaps: the later ones are still read.
                var next = onlyStep is null ? NextLog(directory, step) : null;
                if (next is { } n) { Flush(); step = n; offset = 0; headerWritten = false; continue; }
                break;
            }
            try { await Task.Delay(Interval, cancellationToken); } catch (OperationCanceledException) { break; }
        }
        Flush();

        void Flush()
        {
            if (partial.Length > 0) line(partial.ToString());
            partial.Clear();
        }
    }

    private static string Header(PipelineRun run, int step) =>
        run.Steps.FirstOrDefault(s => s.Index == step) is { } s ? $"== step {step}: {s.Name} ==" : $"== step {step} ==";

    private static int? NextLog(string directory, int after)
    {
        if (!Directory.Exists(directory)) return null;
        return Directory.EnumerateFiles(directory, "step-*.log")
            .Select(f => int.TryParse(Path.GetFileNameWithoutExtension(f)["step-".Length..], out var n) ? n : -1)
            .Where(n => n > after).Order().Cast<int?>().FirstOrDefault();
    }

    private static string ReadFrom(string path, ref long offset)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (f.Length <= offset) return "";
        f.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[f.Length - offset];
        var n = f.Read(buffer, 0, buffer.Length);
        // Whole lines only (the step log writes them whole): a line being written is read next time.
        var end = Array.LastIndexOf(buffer, (byte)'\n', n - 1) + 1;
        offset += end;
        return Encoding.UTF8.GetString(buffer, 0, end);
    }
}
