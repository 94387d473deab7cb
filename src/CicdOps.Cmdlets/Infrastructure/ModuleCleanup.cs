namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// Things a session started that must stop when the module is removed (cached engines, a listener
/// started from a cmdlet, ...). Anything long-lived registers its stop action here; OnRemove runs them.
/// </summary>
public static class ModuleCleanup
{
    private static readonly object Gate = new();
    private static readonly List<Action> Actions = new();

    public static void Register(Action stop)
    {
        ArgumentNullException.ThrowIfNull(stop);
        lock (Gate) Actions.Add(stop);
    }

    /// <summary>
    /// Registers <paramref name="stop"/> for as long as the returned handle is not disposed: for things that
    /// can also end on their own (a listener stopped with Ctrl+C), so finished ones do not pile up.
    /// </summary>
    public static IDisposable RegisterScoped(Action stop)
    {
        Register(stop);
        return new Registration(stop);
    }

    private static void Unregister(Action stop)
    {
        lock (Gate) Actions.Remove(stop);
    }

    private sealed class Registration(Action stop) : IDisposable
    {
        private Action? _stop = stop;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _stop, null) is { } s) Unregister(s);
        }
    }

    /// <summary>Runs every registered action once (newest first) and forgets them; one failure does not stop the rest.</summary>
    public static IReadOnlyList<Exception> RunAll()
    {
        Action[] toRun;
        lock (Gate)
        {
            toRun = Actions.ToArray();
            Actions.Clear();
        }
        var failures = new List<Exception>();
        for (var i = toRun.Length - 1; i >= 0; i--)
        {
            try { toRun[i](); }
            catch (Exception ex) { failures.Add(ex); }
        }
        return failures;
    }
}
