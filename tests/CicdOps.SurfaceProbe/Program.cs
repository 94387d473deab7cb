using System.Reflection;
using System.Runtime.Loader;

// Usage: CicdOps.SurfaceProbe <module directory>
// Prints one line per problem ("error=<type>: <message>") and "types=<n>"; exit 0 when it could run at all.
// What pwsh does at Import-Module before OnImport: load RequiredAssemblies, load the root assembly, enumerate its
// ExportedTypes, and for cmdlets read their attributes and parameter properties. Any of these needing
// CicdOps.Engine fails here, because no resolver answers for it (ExportedSurfaceTests asserts there are none).
if (args.Length != 1) { Console.Error.WriteLine("usage: probe <moduleDir>"); return 2; }
var moduleDir = Path.GetFullPath(args[0]);
AssemblyLoadContext.Default.Resolving += (_, name) =>
{
    // Only what pwsh itself would find beside the manifest (its module-folder probing); never dependencies/.
    var beside = Path.Combine(moduleDir, name.Name + ".dll");
    Console.WriteLine($"resolved={name.Name}");
    return File.Exists(beside) ? AssemblyLoadContext.Default.LoadFromAssemblyPath(beside) : null;
};
AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(moduleDir, "CicdOps.Contracts.dll"));
var cmdlets = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(moduleDir, "CicdOps.Cmdlets.dll"));

void Try(string what, Action touch)
{
    try { touch(); }
    catch (Exception ex)
    {
        var inner = ex is TargetInvocationException { InnerException: { } i } ? i : ex;
        Console.WriteLine($"error={what}: {inner.GetType().Name}: {inner.Message.ReplaceLineEndings(" ")}");
    }
}

Type[] types = Array.Empty<Type>();
Try("ExportedTypes", () => types = cmdlets.GetExportedTypes());
foreach (var type in types)
{
    Try(type.FullName!, () =>
    {
        _ = type.GetCustomAttributesData().Select(a => a.ConstructorArguments.Count + a.NamedArguments.Count).Sum();
        _ = type.GetCustomAttributes(inherit: true);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
        {
            _ = property.PropertyType.FullName;
            _ = property.GetCustomAttributes(inherit: true);
        }
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            _ = field.FieldType.FullName;
    });
}
Console.WriteLine($"types={types.Length}");
Console.WriteLine($"engine.loaded={AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "CicdOps.Engine")}");
return 0;
