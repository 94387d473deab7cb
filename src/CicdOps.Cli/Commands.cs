using System.CommandLine;
using System.Globalization;
using CicdOps.Engine;
using CicdOps.Engine.Model;

namespace CicdOps.Cli;

/// <summary>The command tree. Each action: read the options, make one engine call, format the result.</summary>
internal static partial class Commands
{
    private static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "The data directory [default: $CICDOPS_HOME, else /var/lib/cicdops as root, else ~/.local/share/cicdops]",
        HelpName = "DIR",
        Recursive = true,
    };

    private static Option<bool> JsonOption() => new("--json")
    {
        Description = "Write JSON to stdout (camelCase, enums as strings, ISO 8601 times; indented only on a terminal)",
    };

    private static Option<bool> NoWaitOption(string what) => new("--no-wait") { Description = $"Return once {what} is queued; do not wait for it" };

    private static Argument<string> NameArgument(string description = "The project name") => new("NAME") { Description = description };

    /// <summary>The top-level commands in help order, each with the name it is built under (checked when used).</summary>
    private static readonly (string Name, Func<Command> Create)[] TopLevel =
    {
        ("project", Project), ("deploy", Deploy), ("deployments", DeploymentsCommand), ("logs", Logs), ("cancel", Cancel), ("pin", Pin),
        ("unpin", Unpin), ("rollback", Rollback), ("releases", Releases), ("secret", Secret), ("notify", Notify), ("listen", Listen),
        ("deliveries", Deliveries), ("events", Events), ("stats", Stats), ("pipeline", Pipeline), ("artifacts", Artifacts),
        ("service", Service), ("backup", Backup), ("fleet", Fleet), ("token", Token), ("dashboard", Dashboard), ("worker", Worker),
        (LogPumpCommand.Name, () => LogPumpCommand.Create(DataDir)),
    };

    /// <summary>Every command (help, suggestions for a mistyped command, the examples test).</summary>
    public static RootCommand Build() => Root(TopLevel.Select(c => c.Create()));

    /// <summary>
    /// The tree <paramref name="args"/> needs: when they name a top-level command (after any --data-dir), that command
    /// alone, which parses, validates and helps exactly as in the whole tree; otherwise every command. Building all of
    /// them (hundreds of options) was a sizeable part of a quick command's start-up (`project list`).
    /// </summary>
    public static RootCommand BuildFor(IReadOnlyList<string> args)
    {
        var i = 0;
        while (i < args.Count)
        {
            if (args[i] == DataDir.Name) i += 2;
            else if (args[i].StartsWith(DataDir.Name + "=", StringComparison.Ordinal)) i++;
            else break;
        }
        if (i < args.Count)
            foreach (var (name, create) in TopLevel)
                if (name == args[i] && create() is { } only && only.Name == name) return Root(new[] { only });
        return Build();
    }

    private static RootCommand Root(IEnumerable<Command> commands)
    {
        var root = new RootCommand("cicdops — push-to-deploy for your own servers.\n\n" + ExitCodes.Help) { DataDir };
        foreach (var c in commands) root.Add(c);
        AddExamples(root, "");
        return root;
    }

    // ---------------------------------------------------------------- project

    private static Command Project()
    {
        var project = new Command("project", "Register, list, show, change and remove projects");
        project.Add(ProjectAdd());
        project.Add(ProjectList());
        project.Add(ProjectShow());
        project.Add(ProjectSet());
        project.Add(ProjectRemove());
        project.Add(ProjectWebhookSecret());
        project.Add(ProjectStatusToken());
        project.Add(ProjectProxy());
        return project;
    }

    private static Command ProjectAdd()
    {
        var name = NameArgument("The project name: 1-63 lowercase letters, digits and dashes");
        var repo = new Option<string>("--repo") { Description = "The git repository URL (https://, ssh://, git@host:path or file://)", Required = true, HelpName = "URL" };
        var path = new Option<string>("--path") { Description = "The directory the working tree lives in", Required = true, HelpName = "DIR" };
        var branch = new Option<string>("--branch") { Description = "The branch to deploy", HelpName = "BRANCH", DefaultValueFactory = _ => ProjectDefaults.Branch };
        var port = new Option<int?>("--port") { Description = "The port the app listens on (passed to it as $PORT)", HelpName = "N" };
        var privileged = AllowPrivilegedPortOption();
        var health = new Option<int?>("--health-timeout") { Description = "Seconds the health check may take [default: 15]", HelpName = "S" };
        var interval = HealthIntervalOption("Seconds between the listener watchdog's runs of .cicd/health.sh for the running app [default: 30]");
        var install = new Option<int?>("--install-timeout") { Description = "Seconds .cicd/install.sh may take [default: 1800]", HelpName = "S" };
        var user = new Option<string?>("--service-user") { Description = "Run the project as this existing account (as root) [default: a new dedicated cicd_<name>-<hex> user]", HelpName = "USER" };
        var sudo = SudoCommandOption("Let .cicd/install.sh run this command as root through sudo while it runs (repeatable; an absolute path, optionally with fixed arguments; ALL alone grants everything) [default: no sudo]");
        var oldSudo = RetiredSudoFlag();
        var keep = KeepReleasesOption("Release directories to keep, 1-100 (rollback to a kept one needs no git); 0: one working tree updated in place [default: 5]");
        var shared = SharedOption("Keep this path in shared/ and link it into every release (repeatable; relative, a trailing / for a directory)");
        var gate = new Option<bool>("--require-pipeline") { Description = "Deploy a commit only after its pipeline (.cicd/pipeline.json) succeeded; a failed run skips the deploy" };
        var events = PipelineEventsOption();
        var statusApi = CommitStatusApiOption();
        var deploy = new Option<bool>("--deploy") { Description = "Deploy the branch tip right away (and wait, unless --no-wait)" };
        var noWait = NoWaitOption("the deployment");
        var json = JsonOption();
        var cmd = new Command("add", "Register a project (the repository must answer; nothing is stored otherwise)")
            { name, repo, path, branch, port, privileged, health, interval, install, user, sudo, oldSudo, keep, shared, gate, events, statusApi, deploy, noWait, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var p = engine.RegisterProject(new ProjectSpec
            {
                Name = pr.GetValue(name)!, Repository = pr.GetValue(repo)!, Path = pr.GetValue(path)!,
                Branch = pr.GetValue(branch) ?? ProjectDefaults.Branch, Port = pr.GetValue(port), AllowPrivilegedPort = pr.GetValue(privileged),
                HealthTimeout = Seconds(pr.GetValue(health)), InstallTimeout = Seconds(pr.GetValue(install)),
                HealthInterval = Seconds(pr.GetValue(interval)),
                ServiceUser = pr.GetValue(user), SudoCommands = pr.GetValue(sudo),
                KeepReleases = pr.GetValue(keep), SharedPaths = pr.GetValue(shared), RequirePipeline = pr.GetValue(gate),
                PipelineEvents = pr.GetResult(events) is null ? null : pr.GetValue(events), CommitStatusApi = pr.GetValue(statusApi),
            });
            WarnIfNotSandboxed(engine);
            WarnIfSudoAll(p);
            var asJson = pr.GetValue(json);
            if (!pr.GetValue(deploy))
            {
                if (asJson) Output.WriteJson(p);
                else Console.Out.WriteLine($"{p.Name}: registered ({p.Repository}, branch {p.Branch}, path {p.Path})");
                return ExitCodes.Ok;
            }
            if (!asJson) Console.Out.WriteLine($"{p.Name}: registered ({p.Repository}, branch {p.Branch}, path {p.Path})");
            var d = engine.RequestDeployment(new DeploymentRequest { Project = p.Name });
            return await Follow(engine, d, pr.GetValue(noWait), asJson, final => new { project = engine.GetProject(p.Name), deployment = final });
        });
        return cmd;
    }

    private static Command ProjectList()
    {
        var json = JsonOption();
        var cmd = new Command("list", "List registered projects") { json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var projects = engine.GetProjects();
            if (pr.GetValue(json)) Output.WriteJson(projects);
            else Output.Projects(projects);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command ProjectShow()
    {
        var name = NameArgument();
        var json = JsonOption();
        var cmd = new Command("show", "Show one project's settings and state") { name, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var p = engine.GetProject(pr.GetValue(name)!);
            if (pr.GetValue(json)) Output.WriteJson(p);
            else Output.Project(p);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command ProjectSet()
    {
        var name = NameArgument();
        var repo = new Option<string?>("--repo") { Description = "A new repository URL", HelpName = "URL" };
        var branch = new Option<string?>("--branch") { Description = "A new branch", HelpName = "BRANCH" };
        var path = new Option<string?>("--path") { Description = "A new working-tree directory", HelpName = "DIR" };
        var port = new Option<int?>("--port") { Description = "A new port", HelpName = "N" };
        var privileged = AllowPrivilegedPortOption();
        var clearPort = new Option<bool>("--clear-port") { Description = "Remove the port" };
        var health = new Option<int?>("--health-timeout") { Description = "Seconds the health check may take", HelpName = "S" };
        var interval = HealthIntervalOption("Seconds between the listener watchdog's runs of .cicd/health.sh (1-3600)");
        var install = new Option<int?>("--install-timeout") { Description = "Seconds .cicd/install.sh may take", HelpName = "S" };
        var sudo = SudoCommandOption("Replace the commands .cicd/install.sh may run as root through sudo (repeatable; ALL alone grants everything)");
        var clearSudo = new Option<bool>("--clear-sudo-commands") { Description = "Remove every sudo command: install.sh gets no sudo" };
        var oldSudo = RetiredSudoFlag();
        var keep = KeepReleasesOption("Releases to keep, 1-100 (a project with an in-place working tree is migrated at its next deploy); 0: one working tree updated in place (needs an empty path)");
        var shared = SharedOption("Replace the paths kept in shared/ and linked into every release (repeatable)");
        var clearShared = new Option<bool>("--clear-shared") { Description = "Remove every shared path (shared/ itself stays)" };
        var gate = new Option<bool?>("--require-pipeline")
        {
            Description = "true: deploy a commit only after its pipeline succeeded; false: deploy without running it", HelpName = "true|false",
        };
        var events = PipelineEventsOption();
        var statusApi = CommitStatusApiOption();
        var clearStatusApi = new Option<bool>("--clear-commit-status-api") { Description = "Derive the commit status API from the repository URL again" };
        var json = JsonOption();
        var cmd = new Command("set", "Change a project's settings (they apply from the next deployment)")
            { name, repo, branch, path, port, privileged, clearPort, health, interval, install, sudo, clearSudo, oldSudo, keep, shared, clearShared, gate,
              events, statusApi, clearStatusApi, json };
        cmd.Validators.Add(r =>
        {
            if (r.GetResult(port) is not null && r.GetResult(clearPort) is not null)
                r.AddError("--port and --clear-port cannot be used together.");
            else if (r.GetResult(privileged) is not null && r.GetResult(port) is null)
                r.AddError("--allow-privileged-port applies to a new --port; give one.");
            else if (r.GetResult(sudo) is not null && r.GetResult(clearSudo) is not null)
                r.AddError("--sudo-command and --clear-sudo-commands cannot be used together.");
            else if (r.GetResult(shared) is not null && r.GetResult(clearShared) is not null)
                r.AddError("--shared and --clear-shared cannot be used together.");
            else if (r.GetResult(statusApi) is not null && r.GetResult(clearStatusApi) is not null)
                r.AddError("--commit-status-api and --clear-commit-status-api cannot be used together.");
            else if (r.GetResult(oldSudo) is null && new Option[] { repo, branch, path, port, clearPort, health, interval, install, sudo, clearSudo, keep, shared, clearShared, gate, events, statusApi, clearStatusApi }.All(o => r.GetResult(o) is null))
                r.AddError("Nothing to change: give at least one of --repo, --branch, --path, --port, --clear-port, --health-timeout, --health-interval, --install-timeout, --sudo-command, --clear-sudo-commands, --keep-releases, --shared, --clear-shared, --require-pipeline, --pipeline-events, --commit-status-api, --clear-commit-status-api.");
        });
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var p = engine.UpdateProject(pr.GetValue(name)!, new ProjectUpdate
            {
                Repository = pr.GetValue(repo), Branch = pr.GetValue(branch), Path = pr.GetValue(path),
                Port = pr.GetValue(port), ClearPort = pr.GetValue(clearPort), AllowPrivilegedPort = pr.GetValue(privileged),
                HealthTimeout = Seconds(pr.GetValue(health)), InstallTimeout = Seconds(pr.GetValue(install)),
                HealthInterval = Seconds(pr.GetValue(interval)),
                SudoCommands = pr.GetValue(sudo), ClearSudoCommands = pr.GetValue(clearSudo),
                KeepReleases = pr.GetValue(keep), SharedPaths = pr.GetValue(clearShared) ? Array.Empty<string>() : pr.GetValue(shared),
                RequirePipeline = pr.GetValue(gate),
                PipelineEvents = pr.GetResult(events) is null ? null : pr.GetValue(events), CommitStatusApi = pr.GetValue(statusApi), ClearCommitStatusApi = pr.GetValue(clearStatusApi),
            });
            WarnIfSudoAll(p);
            if (pr.GetValue(json)) Output.WriteJson(p);
            else Output.Project(p);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Option<string[]?> PipelineEventsOption() => new("--pipeline-events")
    {
        Description = "The webhook events that run the pipeline: push, pull_request, tag, comma-separated (none: no event) [default: push]",
        HelpName = "LIST",
    };

    private static Option<string?> CommitStatusApiOption() => new("--commit-status-api")
    {
        Description = "The forge API commit statuses go to, for a self-hosted forge: https://HOST/api/v3 (GitHub Enterprise), /api/v4 (GitLab), /api/v1 (Gitea, Forgejo) [default: from the repository URL]",
        HelpName = "URL",
    };

    private static Option<int?> HealthIntervalOption(string description) =>
        new("--health-interval") { Description = description, HelpName = "S" };

    /// <summary>A switch (takes no value), like --clear-port: consent to a port below 1024.</summary>
    private static Option<bool> AllowPrivilegedPortOption() =>
        new("--allow-privileged-port") { Description = "Allow a --port below 1024 (refused otherwise: such ports belong to system services such as ssh)" };

    private static Command ProjectRemove()
    {
        var name = NameArgument();
        var removeUser = new Option<bool>("--remove-service-user") { Description = "Also delete the dedicated user CicdOps created for the project" };
        var json = JsonOption();
        var cmd = new Command("remove", "Stop a project's app and forget the project and its history (the working tree stays)") { name, removeUser, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var p = engine.UnregisterProject(pr.GetValue(name)!, pr.GetValue(removeUser));
            if (pr.GetValue(json)) Output.WriteJson(p);
            else Console.Out.WriteLine($"{p.Name}: removed (working tree left in {p.Path})");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    // ---------------------------------------------------------------- deployments

    private static Command Deploy()
    {
        var name = NameArgument();
        var commit = new Option<string?>("--commit") { Description = "Deploy this commit (full or abbreviated SHA) instead of the branch tip", HelpName = "SHA" };
        var forceInstall = new Option<bool>("--force-install") { Description = "Run .cicd/install.sh even when it has not changed" };
        var noWait = NoWaitOption("the deployment");
        var json = JsonOption();
        var cmd = new Command("deploy", "Deploy a project and wait for the outcome (Ctrl+C stops waiting; the deployment goes on)")
            { name, commit, forceInstall, noWait, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var d = engine.RequestDeployment(new DeploymentRequest
            {
                Project = pr.GetValue(name)!, Commit = pr.GetValue(commit), ForceInstall = pr.GetValue(forceInstall),
            });
            WarnIfNotSandboxed(engine);
            return await Follow(engine, d, pr.GetValue(noWait), pr.GetValue(json), final => final);
        });
        return cmd;
    }

    private static Command DeploymentsCommand()
    {
        var name = new Argument<string?>("NAME") { Description = "Only this project's deployments", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit") { Description = "How many, newest first", HelpName = "N", DefaultValueFactory = _ => 20 };
        var json = JsonOption();
        var cmd = new Command("deployments", "List recent deployments, newest first") { name, limit, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var list = engine.GetDeployments(pr.GetValue(name), pr.GetValue(limit));
            if (pr.GetValue(json)) Output.WriteJson(list);
            else Output.Deployments(list);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Logs()
    {
        var name = NameArgument();
        var id = new Option<long?>("--deployment") { Description = "This deployment instead of the latest", HelpName = "ID" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the deployment finishes (with --app: until Ctrl+C)" };
        var app = new Option<bool>("--app") { Description = "Print the app's own output (app.log) instead of a deployment's log" };
        var cmd = new Command("logs", "Print a deployment's log (the latest one by default), or the app's own log") { name, id, follow, app };
        cmd.Validators.Add(r =>
        {
            if (r.GetResult(app) is not null && r.GetResult(id) is not null) r.AddError("--app and --deployment cannot be used together.");
        });
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var project = engine.GetProject(pr.GetValue(name)!).Name;
            if (pr.GetValue(app)) return await AppLog(engine, project, pr.GetValue(follow));
            var d = pr.GetValue(id) is { } given ? engine.GetDeployment(given) : engine.GetLatestDeployment(project);
            if (d.Project != project)
                throw new CicdException(CicdError.DeploymentNotFound, $"Deployment {d.Id} belongs to project '{d.Project}', not '{project}'.", d.Id);
            if (!pr.GetValue(follow))
            {
                var text = engine.ReadDeploymentLog(d.Id, 0).Text;
                if (text.Length == 0 && d.StartedAt is null)
                {
                    // Skipped, superseded or cancelled while waiting, or still queued: there is no log, and silence would look like one.
                    Console.Error.WriteLine($"cicdops: deployment {d.Id} of {project} never started ({d.Status}{(d.Reason is null ? "" : ": " + Output.OneLine(d.Reason))}), so it has no log"
                        + (d.IsFinished ? "" : $" yet — follow it with: cicdops logs {project} --follow"));
                    return ExitCodes.Error;
                }
                Console.Out.Write(text);
                return ExitCodes.Ok;
            }
            return await FollowLog(engine, d);
        });
        return cmd;
    }

    private static Command Cancel()
    {
        var name = NameArgument();
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the cancel is recorded; do not wait for the deployment to stop" };
        var json = JsonOption();
        var cmd = new Command("cancel", "Cancel the waiting deployment, or stop the running one") { name, noWait, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var d = engine.CancelDeployment(pr.GetValue(name)!);
            var asJson = pr.GetValue(json);
            if (!d.IsFinished && !pr.GetValue(noWait))
            {
                using (Interrupt.Catch())
                {
                    try { d = await engine.WaitForDeploymentAsync(d.Id, null, Interrupt.Token); }
                    catch (OperationCanceledException) when (Interrupt.Requested) { return ExitCodes.Interrupted; }
                }
            }
            if (asJson) Output.WriteJson(d);
            else Console.Out.WriteLine(d.IsFinished ? Output.Summary(d) : $"{d.Project}: deployment {d.Id} will stop shortly (cancel requested)");
            if (d.IsFinished && d.Status != DeploymentStatus.Cancelled)
            {
                Console.Error.WriteLine($"cicdops: deployment {d.Id} ended {d.Status} before the cancel took effect");
                return ExitCodes.Error;
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Pin()
    {
        var name = NameArgument();
        var commit = new Option<string?>("--commit") { Description = "Pin to this commit; deploys it when it is not current [default: the one running now]", HelpName = "SHA" };
        var noWait = NoWaitOption("the deployment to the pinned commit");
        var json = JsonOption();
        var cmd = new Command("pin", "Pin a project to a commit: pushes and deploy requests are skipped until unpinned") { name, commit, noWait, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var r = engine.Pin(pr.GetValue(name)!, pr.GetValue(commit));
            if (r.Deployment is not null) WarnIfNotSandboxed(engine);
            var asJson = pr.GetValue(json);
            if (r.Deployment is null)
            {
                if (asJson) Output.WriteJson(r);
                else Console.Out.WriteLine($"{r.Project.Name}: pinned to {r.Project.PinnedCommit} (already running)");
                return ExitCodes.Ok;
            }
            if (!asJson) Console.Out.WriteLine($"{r.Project.Name}: pinned to {r.Project.PinnedCommit}; deploying it");
            return await Follow(engine, r.Deployment, pr.GetValue(noWait), asJson, final => new PinResult(engine.GetProject(r.Project.Name), final));
        });
        return cmd;
    }

    private static Command Unpin()
    {
        var name = NameArgument();
        var deploy = new Option<bool>("--deploy") { Description = "Also deploy what the pin skipped last (and wait, unless --no-wait)" };
        var noWait = NoWaitOption("the deployment");
        var json = JsonOption();
        var cmd = new Command("unpin", "Unpin a project: deployments go ahead again; says what the pin skipped") { name, deploy, noWait, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var p = engine.Unpin(pr.GetValue(name)!);
            var skipped = engine.SkippedWhilePinned(p.Name);
            var asJson = pr.GetValue(json);
            var what = skipped is null ? null : skipped.RequestedCommit is { } c ? "commit " + Output.Short(c) : "the branch tip";
            if (!pr.GetValue(deploy) || skipped is null)
            {
                if (asJson) Output.WriteJson(p); // the Project, as before: scripts read it
                else if (skipped is null) Console.Out.WriteLine($"{p.Name}: unpinned (nothing was skipped while pinned)");
                else Console.Out.WriteLine($"{p.Name}: unpinned; {what} (deployment {skipped.Id}) was skipped while pinned and is not deployed" +
                    (pr.GetValue(deploy) ? "" : $" — deploy it with: cicdops deploy {p.Name}{(skipped.RequestedCommit is { } sc ? " --commit " + sc : "")}"));
                return ExitCodes.Ok;
            }
            if (!asJson) Console.Out.WriteLine($"{p.Name}: unpinned; deploying {what}, skipped while pinned (deployment {skipped.Id})");
            var d = engine.RequestDeployment(new DeploymentRequest { Project = p.Name, Commit = skipped.RequestedCommit });
            WarnIfNotSandboxed(engine);
            return await Follow(engine, d, pr.GetValue(noWait), asJson, final => new { project = engine.GetProject(p.Name), skipped, deployment = final });
        });
        return cmd;
    }

    private static Command Rollback()
    {
        var name = NameArgument();
        var commit = new Option<string?>("--commit") { Description = "Roll back to this commit [default: the previous successful one]", HelpName = "SHA" };
        var pin = new Option<bool>("--pin") { Description = "Also pin the project to that commit (required when it is pinned)" };
        var force = new Option<bool>("--force") { Description = "Deploy --commit even if it never deployed successfully" };
        var noWait = NoWaitOption("the rollback");
        var json = JsonOption();
        var cmd = new Command("rollback", "Deploy the previous successful commit (or --commit) and wait for the outcome")
            { name, commit, pin, force, noWait, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var d = engine.Rollback(pr.GetValue(name)!, pr.GetValue(commit), pr.GetValue(pin), pr.GetValue(force));
            WarnIfNotSandboxed(engine);
            return await Follow(engine, d, pr.GetValue(noWait), pr.GetValue(json), final => final);
        });
        return cmd;
    }

    /// <summary>Hidden: drains a project's queue in this process. The engine starts it detached (EngineOptions.WorkerCommand).</summary>
    private static Command Worker()
    {
        var name = NameArgument();
        var cmd = new Command("worker", "Run a project's queued deployments in this process") { name };
        cmd.Hidden = true;
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            using (Interrupt.Catch())
            {
                engine.RunQueue(pr.GetValue(name)!, Interrupt.Token);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    // ---------------------------------------------------------------- shared

    private static void Act(Command cmd, Func<ParseResult, Task<int>> action) =>
        cmd.SetAction(async (pr, _) =>
        {
            try { return await action(pr); }
            catch (CicdException e)
            {
                ErrorOutput.Write(e);
                return ExitCodes.Error;
            }
        });

    private static void Act(Command cmd, Func<ParseResult, int> action) => Act(cmd, pr => Task.FromResult(action(pr)));

    /// <summary>
    /// Opens the engine so that deployments run in a detached `cicdops worker NAME` on the same data directory:
    /// they go on after this command exits (or is interrupted).
    /// </summary>
    private static CicdEngine Open(ParseResult pr)
    {
        var dataPath = DataDirectory.Resolve(pr.GetValue(DataDir));
        return CicdEngine.Open(new EngineOptions
        {
            DataPath = dataPath, WorkerCommand = WorkerCommand(dataPath), LogPumpCommand = LogPumpCommand.Argv(dataPath),
        });
    }

    internal static IReadOnlyList<string> WorkerCommand(string dataPath)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program is running");
        var argv = new List<string> { self };
        // Run as `dotnet cicdops.dll`: the host needs the assembly; run as the apphost `cicdops`: it does not.
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            argv.Add(typeof(Program).Assembly.Location);
        argv.AddRange(new[] { "--data-dir", dataPath, "worker" });
        return argv;
    }

    /// <summary>Once, after the request was accepted (so a rejected command still prints exactly one line).</summary>
    private static void WarnIfNotSandboxed(CicdEngine engine)
    {
        if (!engine.IsSandboxed && !string.IsNullOrWhiteSpace(engine.NotSandboxedReason))
            Console.Error.WriteLine("warning: " + Output.OneLine(engine.NotSandboxedReason));
    }

    private static Option<int?> KeepReleasesOption(string description) => new("--keep-releases") { Description = description, HelpName = "N" };

    private static Option<string[]?> SharedOption(string description) => new("--shared")
    {
        Description = description, HelpName = "PATH", AllowMultipleArgumentsPerToken = false,
    };

    private static Option<string[]?> SudoCommandOption(string description) => new("--sudo-command")
    {
        Description = description, HelpName = "CMD", AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>
    /// --allow-sudo-during-install granted everything; grants now name their commands. The old flag is
    /// refused with the replacement, never silently taken to mean "everything" or "nothing".
    /// </summary>
    private static Option<string?> RetiredSudoFlag()
    {
        var o = new Option<string?>("--allow-sudo-during-install") { Hidden = true, Arity = ArgumentArity.ZeroOrOne };
        o.Validators.Add(r => r.AddError(
            "--allow-sudo-during-install was replaced: name what install.sh may run as root with --sudo-command PATH (repeatable), or --sudo-command ALL for everything."));
        return o;
    }

    private static void WarnIfSudoAll(CicdOps.Project p)
    {
        if (CicdOps.Engine.Sandbox.SudoCommands.GrantsEverything(p.SudoCommands))
            Console.Error.WriteLine("warning: " + CicdOps.Engine.Sandbox.SudoCommands.AllWarning.Replace(" / -SudoCommand PATH", "", StringComparison.Ordinal));
    }

    private static TimeSpan? Seconds(int? s) => s is { } v ? TimeSpan.FromSeconds(v) : null;

    /// <summary>
    /// After a request: print it and return (--no-wait, or it finished at once, e.g. Skipped), or wait, printing a
    /// line per stage change and a summary. Ctrl+C stops waiting only: the worker process goes on.
    /// </summary>
    private static async Task<int> Follow(CicdEngine engine, Deployment d, bool noWait, bool json, Func<Deployment, object> jsonResult)
    {
        if (noWait || d.IsFinished)
        {
            if (json) Output.WriteJson(jsonResult(d));
            else Console.Out.WriteLine(d.IsFinished ? Output.Summary(d)
                : $"{d.Project}: deployment {d.Id} {d.Status} — follow it with: cicdops logs {d.Project} --follow");
            return ExitCodes.For(d.Status);
        }
        Deployment final;
        using (Interrupt.Catch())
        {
            try
            {
                final = await engine.WaitForDeploymentAsync(d.Id, json ? null : new Output.StageLines(engine), Interrupt.Token);
            }
            catch (OperationCanceledException) when (Interrupt.Requested)
            {
                Console.Error.WriteLine($"cicdops: stopped waiting; deployment {d.Id} of {d.Project} continues — follow it with: cicdops logs {d.Project} --follow");
                return ExitCodes.Interrupted;
            }
        }
        if (json) Output.WriteJson(jsonResult(final));
        else Console.Out.WriteLine(Output.Summary(final));
        return ExitCodes.For(final.Status);
    }

    /// <summary>Prints the log as it grows until the deployment (or the one that superseded it) finishes.</summary>
    private static async Task<int> FollowLog(CicdEngine engine, Deployment d)
    {
        var current = d.Id;
        long offset = 0;
        using var scope = Interrupt.Catch();
        // The engine's wait tells when it is over, follows supersession and notices a dead runner.
        var done = engine.WaitForDeploymentAsync(d.Id, new Reporter(p => Volatile.Write(ref current, p.DeploymentId)), Interrupt.Token);
        var shown = d.Id;
        try
        {
            while (true)
            {
                var finished = done.IsCompleted;
                var id = Volatile.Read(ref current);
                if (id != shown) { shown = id; offset = 0; }
                var (text, next) = engine.ReadDeploymentLog(id, offset);
                Console.Out.Write(text);
                offset = next;
                if (finished) { await done; return ExitCodes.Ok; }
                await Task.WhenAny(done, Task.Delay(250, Interrupt.Token));
                Interrupt.Token.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (Interrupt.Requested)
        {
            return ExitCodes.Interrupted;
        }
    }

    private sealed class Reporter(Action<DeploymentProgress> report) : IProgress<DeploymentProgress>
    {
        public void Report(DeploymentProgress value) => report(value);
    }
}
