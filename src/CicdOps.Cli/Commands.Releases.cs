using System.CommandLine;
using System.Globalization;

namespace CicdOps.Cli;

internal static partial class Commands
{
    /// <summary>`cicdops releases NAME`: the kept release directories of a project with releases.</summary>
    private static Command Releases()
    {
        var name = NameArgument();
        var json = JsonOption();
        var cmd = new Command("releases", "List a project's kept releases: commit, created, installed, size, which is current and which is last good") { name, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var releases = engine.GetReleases(pr.GetValue(name)!);
            if (pr.GetValue(json)) { Output.WriteJson(releases); return ExitCodes.Ok; }
            if (releases.Count == 0)
            {
                Console.Out.WriteLine($"{pr.GetValue(name)}: no releases (releases are off, or nothing was deployed yet; see --keep-releases)");
                return ExitCodes.Ok;
            }
            Output.Table(new[] { "RELEASE", "COMMIT", "CREATED", "INSTALLED", "SIZE", "CURRENT", "LAST GOOD" },
                releases.Select(r => (IReadOnlyList<string>)new[]
                {
                    r.Name, r.ShortCommit, r.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    r.InstalledAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-",
                    Size(r.SizeBytes), r.IsCurrent ? "*" : "", r.IsLastGood ? "*" : "",
                }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
    };
}
