using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CicdOps.Engine;
using CicdOps.Engine.Model;

namespace CicdOps.Cli;

/// <summary>Formatting only: JSON for scripts, aligned tables and key: value lists for people.</summary>
internal static class Output
{
    /// <summary>camelCase, enums as strings, ISO 8601 timestamps; indented only when stdout is a terminal.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = !Console.IsOutputRedirected,
    };

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Json));

    public static string Short(string? sha) => sha is null ? "-" : sha.Length > 12 ? sha[..12] : sha;

    public static string Time(DateTimeOffset? t) =>
        t is { } v ? v.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";

    public static string Span(TimeSpan? span) => span switch
    {
        null => "-",
        { TotalSeconds: < 60 } s => s.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s",
        { TotalHours: < 1 } s => $"{(int)s.TotalMinutes}m{s.Seconds:00}s",
        { } s => $"{(int)s.TotalHours}h{s.Minutes:00}m",
    };

    /// <summary>Keeps a value on one line: control characters (newlines, escapes) become '?'.</summary>
    public static string OneLine(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        var b = new StringBuilder(s.Length);
        foreach (var ch in s) b.Append(char.IsControl(ch) ? '?' : ch);
        return b.ToString();
    }

    /// <summary>Columns padded to the widest cell, two spaces apart, headers in capitals (like kubectl get).</summary>
    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows.Select(r => (IReadOnlyList<string>)r.Select(OneLine).ToList()));
        var widths = headers.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var r in all)
        {
            var line = new StringBuilder();
            for (var i = 0; i < r.Count; i++)
            {
                if (i == r.Count - 1) line.Append(r[i]);
                else line.Append(r[i].PadRight(widths[i] + 2));
            }
            Console.Out.WriteLine(line.ToString().TrimEnd());
        }
    }

    public static void KeyValues(IEnumerable<(string Key, string? Value)> pairs)
    {
        var list = pairs.ToList();
        var width = list.Max(p => p.Key.Length) + 2;
        foreach (var (k, v) in list) Console.Out.WriteLine((k + ":").PadRight(width) + OneLine(v ?? "-"));
    }

    /// <summary>The apps as a table, then the host on one line.</summary>
    public static void Telemetry(TelemetrySnapshot t)
    {
        Table(new[] { "PROJECT", "HEALTH", "STATUS", "PROCS", "CPU%", "MEMORY", "PORTS", "UPTIME", "RESTARTS", "COMMIT" },
            t.Apps.Select(a => (IReadOnlyList<string>)new[]
            {
                a.Project, a.Health.ToString(), a.Status.ToString(), a.Processes.ToString(CultureInfo.InvariantCulture),
                a.CpuPercent?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-", Bytes(a.MemoryBytes),
                a.ListeningPorts.Count == 0 ? "-" : string.Join(",", a.ListeningPorts), Span(a.Uptime),
                a.Restarts.ToString(CultureInfo.InvariantCulture), Short(a.Commit),
            }));
        var h = t.Host;
        Console.Out.WriteLine($"host: cpu {h.CpuPercent?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-"}%, memory {Bytes(h.MemoryTotalBytes - h.MemoryAvailableBytes)} of {Bytes(h.MemoryTotalBytes)}, " +
            $"load {h.Load1.ToString("0.00", CultureInfo.InvariantCulture)}, data disk free {Bytes(h.DataDiskFreeBytes)}");
    }

    public static string Bytes(long b) => b switch
    {
        < 1024 * 1024 => (b / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (b / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (b / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
    };

    public static void Projects(IReadOnlyList<Project> projects)
    {
        if (projects.Count == 0) { Console.Error.WriteLine("No projects. Add one with: cicdops project add NAME --repo URL --path DIR"); return; }
        Table(new[] { "NAME", "STATUS", "BRANCH", "COMMIT", "PINNED", "PORT", "REPOSITORY" },
            projects.Select(p => (IReadOnlyList<string>)new[]
            {
                p.Name, p.Status.ToString(), p.Branch, Short(p.CurrentCommit), Short(p.PinnedCommit),
                p.Port?.ToString(CultureInfo.InvariantCulture) ?? "-", p.Repository,
            }));
    }

    public static void Project(Project p) => KeyValues(new (string, string?)[]
    {
        ("Name", p.Name), ("Status", p.Status.ToString()), ("Repository", p.Repository), ("Branch", p.Branch),
        ("Path", p.Path), ("Port", p.Port?.ToString(CultureInfo.InvariantCulture)),
        ("Current commit", p.CurrentCommit), ("Last good commit", p.LastGoodCommit), ("Pinned commit", p.PinnedCommit),
        ("Install timeout", Span(p.InstallTimeout)), ("Health timeout", Span(p.HealthTimeout)), ("Health interval", Span(p.HealthInterval)),
        ("Service user", p.ServiceUser ?? (p.Sandboxed ? "(created at the first deploy)" : "(engine's own account)")),
        ("Sandboxed", p.Sandboxed ? "yes" : "no: scripts run as the engine's own account"),
        ("Sudo during install", p.SudoCommands.Count == 0 ? "no" : string.Join("; ", p.SudoCommands)),
        ("Requires pipeline", p.RequirePipeline ? "yes" : "no"),
        ("Pipeline events", p.PipelineEvents.Count == 0 ? "none" : string.Join(",", p.PipelineEvents)),
        ("Commit status API", p.CommitStatusApi ?? "(from the repository URL; statuses need a token: project status-token)"),
        ("Created", Time(p.CreatedAt)), ("Updated", Time(p.UpdatedAt)),
    });

    public static void Deployments(IReadOnlyList<Deployment> deployments)
    {
        if (deployments.Count == 0) { Console.Error.WriteLine("No deployments."); return; }
        Table(new[] { "ID", "PROJECT", "STATUS", "STAGE", "COMMIT", "TRIGGER", "QUEUED", "DURATION", "REASON" },
            deployments.Select(d => (IReadOnlyList<string>)new[]
            {
                d.Id.ToString(CultureInfo.InvariantCulture), d.Project, d.Status.ToString(), d.Stage?.ToString() ?? "-",
                Short(d.Commit ?? d.RequestedCommit), d.Trigger.ToString(), Time(d.QueuedAt), Span(d.Duration), d.Reason ?? "",
            }));
    }

    public static void Deployment(Deployment d) => KeyValues(new (string, string?)[]
    {
        ("Deployment", d.Id.ToString(CultureInfo.InvariantCulture)), ("Project", d.Project), ("Status", d.Status.ToString()),
        ("Stage", d.Stage?.ToString()), ("Commit", d.Commit ?? (d.RequestedCommit is null ? $"(tip of {d.Branch})" : d.RequestedCommit)),
        ("Reason", d.Reason), ("Queued", Time(d.QueuedAt)),
    });

    /// <summary>The one line printed when a waited-on deployment ends.</summary>
    public static string Summary(Deployment d)
    {
        var s = new StringBuilder($"{d.Project}: deployment {d.Id} {d.Status}");
        if (d.Commit is not null) s.Append($" (commit {Short(d.Commit)})");
        if (d.Duration is { } t && d.Status != DeploymentStatus.Skipped) s.Append($" in {Span(t)}");
        if (d.Reason is not null) s.Append($": {d.Reason}");
        if (d.RolledBackTo is not null) s.Append($"; serving {Short(d.RolledBackTo)} again");
        if (!d.Status.IsSuccess() && d.Status is not DeploymentStatus.Skipped)
            s.Append($" — see: cicdops logs {d.Project} --deployment {d.Id}");
        return OneLine(s.ToString());
    }

    /// <summary>
    /// One line per stage as it starts, written as reported (not posted to the thread pool). Progress is sampled,
    /// so a fast stage can start and end between two reports: each report lists every stage begun since the last
    /// one, from the deployment's stage records. The outcome is left to <see cref="Summary"/>.
    /// </summary>
    public sealed class StageLines(CicdEngine engine) : IProgress<DeploymentProgress>
    {
        private long _id;
        private int _shown;

        public void Report(DeploymentProgress p)
        {
            if (p.DeploymentId != _id) { _id = p.DeploymentId; _shown = 0; }
            switch (p.Status)
            {
                case DeploymentStatus.Queued:
                    Line(DateTimeOffset.Now, p, "queued");
                    break;
                case DeploymentStatus.Superseded:
                    Line(DateTimeOffset.Now, p, "superseded by a newer request");
                    break;
                default:
                    var stages = engine.GetDeployment(p.DeploymentId).Stages;
                    if (_shown == 0 && stages.Count == 0 && p.Status == DeploymentStatus.Running) Line(DateTimeOffset.Now, p, "starting");
                    for (; _shown < stages.Count; _shown++)
                    {
                        var s = stages[_shown];
                        Line(s.StartedAt, p, s.Stage.ToString().ToLowerInvariant() + (s.Rollback ? " (rollback)" : ""));
                    }
                    break;
            }
        }

        private static void Line(DateTimeOffset at, DeploymentProgress p, string what) =>
            Console.Out.WriteLine(OneLine($"{at.ToLocalTime():HH:mm:ss} {p.Project}: deployment {p.DeploymentId} {what}"));
    }

    /// <summary>The engine's error as one line: message, then its recommended action after " — ".</summary>
    public static string Error(CicdException e)
    {
        var line = e.Message.TrimEnd();
        // Hints naming only PowerShell cmdlets would mislead a CLI user; keep those that name the CLI or neither.
        if (e.RecommendedAction is { Length: > 0 } hint && (!hint.Contains("-Cicd", StringComparison.Ordinal) || hint.Contains("cicdops", StringComparison.Ordinal)))
            line += " — " + hint.TrimEnd();
        return OneLine(line);
    }
}
