using System.Data.Common;
using System.Reflection;
using System.Runtime.Loader;

// Usage: CicdOps.IsolationProbe <isolated|default> <module directory> <data directory>
// Prints key=value lines; DependencyIsolationTests asserts on them.
//   isolated: the module's resolver routes CicdOps.Engine (and so SQLite) into its own load context.
//   default:  the control case: the engine is loaded into the default context beside the conflicting SQLite.
if (args.Length != 3) { Console.Error.WriteLine("usage: probe <isolated|default> <moduleDir> <dataDir>"); return 2; }
var (mode, moduleDir, dataDir) = (args[0], Path.GetFullPath(args[1]), Path.GetFullPath(args[2]));
Directory.CreateDirectory(dataDir);
void Report(string key, object? value) => Console.WriteLine($"{key}={value}");

var conflicting = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, "conflict", "Microsoft.Data.Sqlite.dll"));
Report("conflicting.version", conflicting.GetName().Version);

Assembly engine;
Type? resolverType = null;
if (mode == "isolated")
{
    // As pwsh does: the manifest's RequiredAssemblies (the contracts) first, then the root module.
    AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(moduleDir, "CicdOps.Contracts.dll"));
    var cmdlets = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(moduleDir, "CicdOps.Cmdlets.dll"));
    resolverType = cmdlets.GetType("CicdOps.Cmdlets.Isolation.EngineAssemblyResolver", throwOnError: true)!;
    var register = resolverType.GetMethod("Register")!;
    var first = register.Invoke(null, new object[] { moduleDir });
    var second = register.Invoke(null, new object[] { moduleDir });
    Report("register.idempotent", ReferenceEquals(first, second));
    // Not in the default context's probing paths: only the Resolving hook can answer.
    engine = Assembly.Load(new AssemblyName("CicdOps.Engine"));
}
else
{
    engine = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(moduleDir, "dependencies", "CicdOps.Engine.dll"));
}
Report("engine.context", AssemblyLoadContext.GetLoadContext(engine)?.Name);
Report("engine.location", engine.Location);

try
{
    // Engine code (its state database) opens SQLite: the engine's reference to Microsoft.Data.Sqlite is bound now.
    var databaseType = engine.GetType("CicdOps.Engine.State.Database", throwOnError: true)!;
    var database = Activator.CreateInstance(databaseType, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic,
        null, new object[] { dataDir }, null)!;
    databaseType.GetMethod("Initialize")!.Invoke(database, null);
    using var connection = (DbConnection)databaseType.GetMethod("Open")!.Invoke(database, null)!;
    using var command = connection.CreateCommand();
    command.CommandText = "select sqlite_version()";
    Report("sqlite.version", command.ExecuteScalar());
    var sqlite = connection.GetType().Assembly;
    Report("sqlite.assembly.version", sqlite.GetName().Version);
    Report("sqlite.assembly.location", sqlite.Location);
    Report("sqlite.assembly.context", AssemblyLoadContext.GetLoadContext(sqlite)?.Name);
    Report("database.exists", File.Exists(Path.Combine(dataDir, "cicdops.db")));
    if (File.Exists("/proc/self/maps"))
        foreach (var native in File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault())
                     .Where(p => p is not null && p.Contains("e_sqlite3", StringComparison.Ordinal)).Distinct())
            Report("native.loaded", native);
}
catch (Exception ex)
{
    var inner = ex is TargetInvocationException { InnerException: { } i } ? i : ex;
    Report("database.error", inner.GetType().FullName + ": " + inner.Message.ReplaceLineEndings(" "));
}

if (resolverType is not null)
{
    // The public entry point the cmdlets use; reports "not-implemented" until the engine facade lands.
    try
    {
        var cache = resolverType.Assembly.GetType("CicdOps.Cmdlets.Infrastructure.EngineCache", throwOnError: true)!;
        var opened = cache.GetMethod("Get")!.Invoke(null, new object?[] { dataDir })!;
        var projects = (System.Collections.ICollection)opened.GetType().GetMethod("GetProjects")!.Invoke(opened, null)!;
        Report("engine.open", "ok");
        Report("engine.projects", projects.Count);
    }
    catch (TargetInvocationException ex) when (ex.InnerException is NotImplementedException)
    {
        Report("engine.open", "not-implemented");
    }

    // The *-CicdFleet cmdlets: CicdOps.Fleet and its drivers must come from dependencies/, into the same context.
    try
    {
        var fleet = Assembly.Load(new AssemblyName("CicdOps.Fleet"));
        Report("fleet.context", AssemblyLoadContext.GetLoadContext(fleet)?.Name);
        var open = fleet.GetType("CicdOps.Fleet.FleetRegistries", throwOnError: true)!.GetMethod("Open")!;
        foreach (var uri in new[] { "postgres://probe@127.0.0.1:1/probe", "mongodb://127.0.0.1:1/probe" })
        {
            var registry = open.Invoke(null, new object[] { uri })!;
            ((IAsyncDisposable)registry).DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        foreach (var driver in AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name is "Npgsql" or "MongoDB.Driver"))
            Report("fleet.driver", $"{driver.GetName().Name}|{AssemblyLoadContext.GetLoadContext(driver)?.Name}|{driver.Location}");
    }
    catch (Exception ex)
    {
        var inner = ex is TargetInvocationException { InnerException: { } i } ? i : ex;
        Report("fleet.error", inner.GetType().FullName + ": " + inner.Message.ReplaceLineEndings(" "));
    }
    var before = resolverType.GetProperty("Current")!.GetValue(null)!;
    resolverType.GetMethod("Unregister")!.Invoke(null, null);
    Report("unregistered", resolverType.GetProperty("Current")!.GetValue(null) is null);
    // Remove-Module then Import-Module: the same load context must come back (never a second engine).
    var again = resolverType.GetMethod("Register")!.Invoke(null, new object[] { moduleDir })!;
    var contextOf = (object r) => resolverType.GetProperty("LoadContext")!.GetValue(r);
    Report("reregister.same-context", ReferenceEquals(contextOf(before), contextOf(again)));
    Report("reregister.same-engine", ReferenceEquals(engine, Assembly.Load(new AssemblyName("CicdOps.Engine"))));
    resolverType.GetMethod("Unregister")!.Invoke(null, null);
}
return 0;
