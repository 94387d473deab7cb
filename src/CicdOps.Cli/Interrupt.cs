using System.Runtime.InteropServices;

namespace CicdOps.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM. While a command waits (deploy, logs --follow, the worker) the signal cancels
/// <see cref="Token"/> so the command can say what goes on and exit 130; at any other moment the default
/// applies and the process ends at once. The handlers are registered at the first wait, not at start: a quick
/// command (`project list`) never waits, and registering loads an assembly and starts the runtime's signal handling.
/// </summary>
internal static class Interrupt
{
    private static readonly CancellationTokenSource Cts = new();
    private static readonly List<PosixSignalRegistration> Registrations = new();
    private static int _waiting;

    public static CancellationToken Token => Cts.Token;
    public static bool Requested => Cts.IsCancellationRequested;

    /// <summary>Catches the signal for as long as the returned scope lives.</summary>
    public static IDisposable Catch()
    {
        lock (Registrations)
        {
            if (Registrations.Count == 0)
            {
                Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
                Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
            }
        }
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
