using System.Runtime.ExceptionServices;

namespace CicdOps.Engine.Processes;

/// <summary>
/// The threads <see cref="ThreadLaunch"/> starts processes on, each made ahead of the launch it serves. Making a thread
/// blocks its maker until the new thread first runs, and the scheduler puts a new thread behind those already waiting
/// for a core: on a busy machine that was 1–4 ms of each launch, six of them on a deploy's path. A thread that waits
/// for its work is woken instead, on the core its caller gives up to wait. Each thread serves one launch and ends (its
/// dropped privileges cannot be taken back), and the next is made off the caller's path.
/// </summary>
internal static class LaunchThreads
{
    // Launches can overlap (a fetch and a status read start together): a second spare saves the second one the wait.
    private const int Spares = 2;
    private static readonly Spare?[] s_ready = new Spare?[Spares];

    /// <summary>Runs <paramref name="launch"/> on a launch thread of its own and returns once it is done (the thread then ends); what it throws is thrown here.</summary>
    public static void Run(Action launch)
    {
        var spare = Take() ?? Spare.Make();
        spare.Serve(launch);
        // From the pool: pool threads are the engine's own (LaunchThreadOffspring turns direct starts off otherwise),
        // so the new thread starts in the engine's cgroups with its privileges, as a thread made here would.
        ThreadPool.UnsafeQueueUserWorkItem(static _ => Refill(), null);
    }

    private static Spare? Take()
    {
        for (var i = 0; i < Spares; i++)
            if (Interlocked.Exchange(ref s_ready[i], null) is { } s) return s;
        return null;
    }

    private static void Refill()
    {
        for (var i = 0; i < Spares; i++)
        {
            if (Volatile.Read(ref s_ready[i]) is not null) continue;
            var s = Spare.Make();
            if (Interlocked.CompareExchange(ref s_ready[i], s, null) is not null) s.Dismiss();
        }
    }

    /// <summary>A launch thread waiting for its one launch.</summary>
    private sealed class Spare
    {
        private readonly ManualResetEventSlim _go = new(false);
        private readonly ManualResetEventSlim _done = new(false);
        private Action? _work;
        private ExceptionDispatchInfo? _failure;

        public static Spare Make()
        {
            var s = new Spare();
            new Thread(s.Wait, 256 * 1024) { IsBackground = true, Name = "cicdops-launch" }.Start();
            return s;
        }

        public void Serve(Action launch)
        {
            _work = launch;
            _go.Set();
            _done.Wait();
            _failure?.Throw(); // on the caller's thread: thrown on the launch thread it would end the process
        }

        /// <summary>Not needed after all: the thread ends without doing anything.</summary>
        public void Dismiss() => _go.Set();

        private void Wait()
        {
            _go.Wait();
            try { _work?.Invoke(); }
            catch (Exception e) { _failure = ExceptionDispatchInfo.Capture(e); }
            finally { _done.Set(); }
        }
    }
}
