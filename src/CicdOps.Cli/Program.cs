using System.CommandLine;

// Minimal root until the full CLI lands; the one line to keep at merge is the log-pump registration.
var dataDir = new Option<string?>("--data-dir") { Description = "The data directory (default: CICDOPS_HOME or the standard place).", Recursive = true };
var root = new RootCommand("cicdops") { Options = { dataDir } };
root.Subcommands.Add(CicdOps.Cli.LogPumpCommand.Create(dataDir));
return root.Parse(args).Invoke();
