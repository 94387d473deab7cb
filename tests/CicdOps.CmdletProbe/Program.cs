using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security;

// Usage: CicdOps.CmdletProbe <module directory> <data directory> <script>
// Imports the module, then runs the script (PowerShell) with $DataPath set and $RegistryUri (a SecureString) from
// the CICDOPS_PROBE_REGISTRY environment variable. Prints each output object as "out=<type>|<ToString or JSON-ish>",
// each error as "error=<FullyQualifiedErrorId>: <message>", warnings as "warning=<message>".
if (args.Length != 3) { Console.Error.WriteLine("usage: probe <moduleDir> <dataDir> <script>"); return 2; }
var iss = InitialSessionState.CreateDefault2();
using var runspace = RunspaceFactory.CreateRunspace(iss);
runspace.Open();
using var ps = PowerShell.Create();
ps.Runspace = runspace;
ps.AddCommand("Import-Module").AddArgument(Path.Combine(Path.GetFullPath(args[0]), "CicdOps.psd1")).AddParameter("ErrorAction", "Stop");
ps.Invoke();
ps.Commands.Clear();
var secure = new SecureString();
foreach (var c in Environment.GetEnvironmentVariable("CICDOPS_PROBE_REGISTRY") ?? "") secure.AppendChar(c);
runspace.SessionStateProxy.SetVariable("RegistryUri", secure);
runspace.SessionStateProxy.SetVariable("DataPath", Path.GetFullPath(args[1]));
ps.AddScript(args[2]);
try
{
    foreach (var o in ps.Invoke())
    {
        if (o is null) continue;
        var props = string.Join(";", o.Properties.Where(p => p.IsGettable).Select(p => { try { return $"{p.Name}:{p.Value}"; } catch { return p.Name + ":?"; } }));
        Console.WriteLine($"out={o.TypeNames.FirstOrDefault()}|{props}");
    }
}
catch (RuntimeException e) { Console.WriteLine($"error={e.ErrorRecord.FullyQualifiedErrorId}: {e.Message.ReplaceLineEndings(" ")}"); }
foreach (var e in ps.Streams.Error)
    Console.WriteLine($"error={e.FullyQualifiedErrorId}: {e.Exception.Message.ReplaceLineEndings(" ")} | {e.ErrorDetails?.RecommendedAction}");
foreach (var w in ps.Streams.Warning) Console.WriteLine($"warning={w.Message.ReplaceLineEndings(" ")}");
return 0;
