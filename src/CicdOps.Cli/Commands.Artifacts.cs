using System.CommandLine;
using CicdOps.Engine;

namespace CicdOps.Cli;

/// <summary>
/// `artifacts [NAME] [--run RUN] [--cache]`: pipeline artifacts and caches that have not expired; with `--key KEY --out
/// PATH`, one archive written to PATH (a tar file; `--force` replaces an existing one).
/// </summary>
internal static partial class Commands
{
    private static Command Artifacts()
    {
        var name = new Argument<string?>("NAME") { Description = "Only this project's (required with --out)", Arity = ArgumentArity.ZeroOrOne };
        var run = new Option<string?>("--run") { Description = "Only what this pipeline run kept", HelpName = "RUN" };
        var cache = new Option<bool>("--cache") { Description = "Caches only (cache-files steps); without it artifacts and caches are listed, and --out fetches an artifact" };
        var key = new Option<string?>("--key") { Description = "The artifact's or cache's key, as listed", HelpName = "KEY" };
        var output = new Option<string?>("--out") { Description = "Write that archive (a tar file) to PATH", HelpName = "PATH" };
        var force = new Option<bool>("--force") { Description = "With --out: replace an existing file" };
        var json = JsonOption();
        var cmd = new Command("artifacts",
            "List pipeline artifacts (store-files) and caches (cache-files) that have not expired, newest first; --key KEY --out PATH fetches one as a tar file")
            { name, run, cache, key, output, force, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var project = pr.GetValue(name);
            var kind = pr.GetValue(cache) ? PipelineFileKind.Cache : (PipelineFileKind?)null;
            if (pr.GetValue(output) is { } path)
            {
                if (project is null) throw new CicdException(CicdError.InvalidArgument, "--out needs the project: cicdops artifacts NAME --key KEY --out PATH.");
                if (pr.GetValue(key) is not { } k) throw new CicdException(CicdError.InvalidArgument, "--out needs --key KEY (see: cicdops artifacts NAME).");
                var saved = engine.SavePipelineArtifact(project, k, Path.GetFullPath(path), pr.GetValue(run), kind ?? PipelineFileKind.Artifact,
                    pr.GetValue(force), "--force");
                if (pr.GetValue(json)) Output.WriteJson(saved);
                else Console.Out.WriteLine($"{saved.Project}: {saved.Kind.ToString().ToLowerInvariant()} '{saved.Key}' ({saved.FileCount} files) written to {Path.GetFullPath(path)}");
                return ExitCodes.Ok;
            }
            if (pr.GetValue(force)) throw new CicdException(CicdError.InvalidArgument, "--force only goes with --out.");
            var list = engine.GetPipelineArtifacts(project, pr.GetValue(run), kind);
            if (pr.GetValue(key) is { } only) list = list.Where(a => a.Key == only).ToList();
            if (pr.GetValue(json)) Output.WriteJson(list);
            else Output.Table(new[] { "KIND", "PROJECT", "KEY", "RUN", "STEP", "SIZE", "FILES", "CREATED", "EXPIRES" },
                list.Select(a => (IReadOnlyList<string>)new[]
                {
                    a.Kind.ToString(), a.Project, a.Key, a.RunId, a.Step.ToString(), Output.Bytes(a.SizeBytes), a.FileCount.ToString(),
                    Output.Time(a.CreatedAt), Output.Time(a.ExpiresAt),
                }));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
