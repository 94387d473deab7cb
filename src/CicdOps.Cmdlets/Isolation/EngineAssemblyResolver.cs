using System.Reflection;
using System.Runtime.Loader;

namespace CicdOps.Cmdlets.Isolation;

/// <summary>
/// Hooks the default load context's Resolving event and answers for CicdOps.Engine only, loading it into
/// the <see cref="DependencyLoadContext"/>; the engine then pulls its own dependencies into that context.
/// Kept free of PowerShell types so it can be exercised in a plain process.
/// </summary>
public sealed class EngineAssemblyResolver
{
    public const string EngineAssemblyName = "CicdOps.Engine";
    /// <summary>The fleet registry and its drivers, loaded only when a *-CicdFleet cmdlet runs.</summary>
    public const string FleetAssemblyName = "CicdOps.Fleet";
    public const string DependencyFolderName = "dependencies";

    private static readonly object Gate = new();
    private static EngineAssemblyResolver? _registered;
    // Load contexts cannot be unloaded (the engine is in use by the cmdlet assembly for the life of the process),
    // so Remove-Module + Import-Module must find the same context again rather than load a second engine.
    private static readonly Dictionary<string, DependencyLoadContext> Contexts = new(StringComparer.Ordinal);

    private EngineAssemblyResolver(DependencyLoadContext loadContext)
    {
        LoadContext = loadContext;
    }

    public DependencyLoadContext LoadContext { get; }

    /// <summary>The resolver currently hooked, if any.</summary>
    public static EngineAssemblyResolver? Current
    {
        get { lock (Gate) return _registered; }
    }

    /// <summary>Hooks the resolver for the module rooted at <paramref name="moduleDirectory"/>. Idempotent: a second call returns the first resolver.</summary>
    public static EngineAssemblyResolver Register(string moduleDirectory)
    {
        lock (Gate)
        {
            if (_registered is not null) return _registered;
            var dependencyDirectory = Path.GetFullPath(Path.Combine(moduleDirectory, DependencyFolderName));
            if (!Contexts.TryGetValue(dependencyDirectory, out var context))
                Contexts[dependencyDirectory] = context = new DependencyLoadContext(dependencyDirectory);
            var resolver = new EngineAssemblyResolver(context);
            AssemblyLoadContext.Default.Resolving += resolver.Resolve;
            _registered = resolver;
            return resolver;
        }
    }

    /// <summary>Unhooks the resolver (module removal). Safe to call when none is registered.</summary>
    public static void Unregister()
    {
        lock (Gate)
        {
            if (_registered is null) return;
            AssemblyLoadContext.Default.Resolving -= _registered.Resolve;
            _registered = null;
        }
    }

    private Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        // Only the engine (and the fleet assembly beside it) are ours to answer; anything else stays PowerShell's business.
        if (!string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal)
            && !string.Equals(name.Name, FleetAssemblyName, StringComparison.Ordinal)) return null;
        return LoadContext.LoadFromAssemblyName(name);
    }
}
