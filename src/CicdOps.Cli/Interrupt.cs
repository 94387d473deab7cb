using System.Runtime.InteropServices;

namespace CicdOps.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM. While a command waits (deploy, logs --follow, the worker) the signal cancels
/// <see cref="Token"/> so the command can say what goes on and exit 130; at any other moment the default
/// applies and the process ends at once.
/// </summary>
internal static class Interrupt
{
    private static readonly CancellationTokenSource Cts = new();
    private static readonly List<PosixSignalRegistration> Registrations = new();
    private static int _waiting;

    public static CancellationToken Token => Cts.Token;
    public static bool Requested => Cts.IsCancellationRequested;

    public static void Install()
    {
        Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
        Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
    }

    /// <summary>Catches the signal for as long as the returned scope lives.</summary>
    public static IDisposable Catch()
    {
        Interlocked.Increment(ref _waiting);
        return new Scope();
    }

    private static void Handle(PosixSignalContext context)
    {
        if (Volatile.Read(ref _waiting) == 0 || Cts.IsCancellationRequested) return; // default: terminate
        context.Cancel = true;
        Cts.Cancel();
    }

    private sealed class Scope : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref _waiting);
        }
    }
}
