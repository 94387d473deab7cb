using System.Globalization;

namespace CicdOps.Engine.Processes;

/// <summary>Names a process for a message a person reads: pid, user and command.</summary>
internal static class ProcessDescription
{
    /// <summary>"pid 812 (user root, command: /usr/sbin/sshd -D)".</summary>
    public static string Of(int pid)
    {
        var uid = ProcFs.Uid(pid);
        var user = uid is { } u ? UserName(u) : "?";
        return $"pid {pid} (user {user}, command: {ProcFs.CommandLine(pid)})";
    }

    /// <summary>The account name of a uid from /etc/passwd, or the number when it has none.</summary>
    public static string UserName(uint uid)
    {
        var id = uid.ToString(CultureInfo.InvariantCulture);
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var f = line.Split(':');
                if (f.Length > 2 && f[2] == id) return f[0];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return id;
    }
}
