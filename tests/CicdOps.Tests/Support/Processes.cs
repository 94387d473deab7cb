namespace CicdOps.Tests.Support;

public static class Processes
{
    /// <summary>True when the pid no longer runs (absent, or a zombie waiting to be reaped).</summary>
    public static bool IsGone(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat)) return true;
            try
            {
                var text = File.ReadAllText(stat);
                if (text[(text.LastIndexOf(')') + 2)..].StartsWith('Z')) return true;
            }
            catch (IOException) { return true; }
            Thread.Sleep(50);
        }
        return false;
    }

    public static bool IsRunning(int pid) => !IsGone(pid);
}
