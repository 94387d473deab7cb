using System.Buffers;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace CicdOps.Engine.Monitoring;

/// <summary>One process as /proc/PID/stat shows it: what the sampler needs, read in one small read with no text split.</summary>
internal readonly record struct ProcSample(int Pid, char State, int Pgid, long CpuTicks, long StartTicks, long RssPages);

/// <summary>Reads /proc/PID/stat into a reused buffer (the sampler reads hundreds of them per pass).</summary>
internal sealed class ProcStatReader
{
    /// <summary>USER_HZ: the unit of /proc's tick counts, 100 on every Linux architecture .NET runs on.</summary>
    public const double TicksPerSecond = 100;
    private readonly byte[] _buffer = new byte[1024];

    public ProcSample? Read(int pid)
    {
        int n;
        try
        {
            using SafeFileHandle h = File.OpenHandle("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
            n = RandomAccess.Read(h, _buffer, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        return Parse(pid, _buffer.AsSpan(0, n));
    }

    /// <summary>Fields after the command name: state(3) ppid pgrp … utime(14) stime(15) … starttime(22) vsize rss(24).</summary>
    internal static ProcSample? Parse(int pid, ReadOnlySpan<byte> stat)
    {
        var close = stat.LastIndexOf((byte)')'); // the command name may contain spaces and parentheses
        if (close < 0 || close + 2 >= stat.Length) return null;
        var rest = stat[(close + 2)..];
        char state = (char)rest[0];
        long pgid = 0, utime = 0, stime = 0, start = 0, rss = 0;
        var field = 3; // rest starts at field 3 (state)
        var i = 0;
        while (i < rest.Length && field <= 24)
        {
            while (i < rest.Length && rest[i] == (byte)' ') i++;
            var begin = i;
            while (i < rest.Length && rest[i] != (byte)' ' && rest[i] != (byte)'\n') i++;
            var token = rest[begin..i];
            switch (field)
            {
                case 5: pgid = Number(token); break;
                case 14: utime = Number(token); break;
                case 15: stime = Number(token); break;
                case 22: start = Number(token); break;
                case 24: rss = Number(token); break;
            }
            field++;
        }
        return field > 24 ? new ProcSample(pid, state, (int)pgid, utime + stime, start, rss) : null;
    }

    private static long Number(ReadOnlySpan<byte> digits)
    {
        long v = 0;
        var negative = digits.Length > 0 && digits[0] == (byte)'-';
        foreach (var b in negative ? digits[1..] : digits)
        {
            if (b < (byte)'0' || b > (byte)'9') break;
            v = v * 10 + (b - '0');
        }
        return negative ? -v : v;
    }
}
