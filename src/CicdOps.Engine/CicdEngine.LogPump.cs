using CicdOps.Engine.Secrets;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>
    /// The masking log pump (the CLI's hidden <c>log-pump</c>, see <see cref="EngineOptions.LogPumpCommand"/>):
    /// copies an app's output from <paramref name="input"/> to the project's app.log with its secrets masked,
    /// until end of input. Secrets come from the state database and master key, never from argv or the
    /// environment. When they cannot be loaded nothing of the output is written (it is drained, so the app
    /// does not die of SIGPIPE), only a line saying why.
    /// </summary>
    public void PumpAppLog(string project, Stream input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var name = GetProject(project).Name;
        var logPath = _ctx.Layout.AppLog(name);
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        using var log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        SecretMasker masker;
        try
        {
            masker = EngineSecrets.MaskerFor(_ctx.Secrets.Load(name));
        }
        catch (CicdException e)
        {
            log.Write(System.Text.Encoding.UTF8.GetBytes($"[cicdops] app output withheld: the project's secrets cannot be loaded to mask it ({e.ErrorId})\n"));
            log.Flush();
            input.CopyTo(Stream.Null);
            return;
        }
        using var masked = masker.Wrap(log, leaveOpen: true);
        var buffer = new byte[16 * 1024];
        int n;
        // Flush after each read: a line the app printed shows up at once (only a possible secret prefix waits).
        while (!cancellationToken.IsCancellationRequested && (n = input.Read(buffer, 0, buffer.Length)) > 0)
        {
            masked.Write(buffer, 0, n);
            masked.Flush();
        }
        masked.Complete();
    }
}
