namespace CicdOps.Cmdlets.Output;

/// <summary>What Install-CicdListenerService wrote (or, with -WhatIf, would write): the systemd unit and where.</summary>
public sealed class ListenerServiceUnit
{
    public ListenerServiceUnit(string path, string content, bool written, IReadOnlyList<string>? hints = null)
    {
        Hints = hints ?? Array.Empty<string>();
        Path = path;
        Content = content;
        Written = written;
    }

    /// <summary>The unit file, e.g. /etc/systemd/system/cicdops.service.</summary>
    public string Path { get; }
    /// <summary>The unit text, as rendered by the engine.</summary>
    public string Content { get; }
    /// <summary>False when -WhatIf (or a declined confirmation) left the file alone.</summary>
    public bool Written { get; }

    /// <summary>What the install did or (not written) would do, and how to enable the service: the lines it printed.</summary>
    public IReadOnlyList<string> Hints { get; }

    /// <summary>The ExecStart= line, for the table view.</summary>
    public string? ExecStart =>
        Content.Split('\n').FirstOrDefault(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))?["ExecStart=".Length..];

    public override string ToString() => Content;
}
