using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace CicdOps.Cmdlets.Isolation;

/// <summary>
/// The load context the engine and its dependencies (Microsoft.Data.Sqlite, SQLitePCLRaw, e_sqlite3) live in,
/// so another module's copy of the same libraries in pwsh's default context cannot clash with ours.
/// Rooted at the module's dependencies/ folder.
/// </summary>
public sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string _dependencyDirectory;

    public const string SharedContractsAssembly = "CicdOps.Contracts";

    public DependencyLoadContext(string dependencyDirectory) : base("CicdOps.Dependencies", isCollectible: false)
    {
        _dependencyDirectory = Path.GetFullPath(dependencyDirectory);
    }

    public string DependencyDirectory => _dependencyDirectory;

    /// <summary>Managed assemblies shipped in dependencies/ load here; everything else (the framework, SMA) falls back to the default context.</summary>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is null) return null;
        // The contracts are shared with pwsh's default context (one type identity); never a second copy here.
        if (assemblyName.Name == SharedContractsAssembly) return null;
        var path = Path.Combine(_dependencyDirectory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    /// <summary>pwsh does not probe runtimes/&lt;rid&gt;/native/, so native libraries (e_sqlite3) are found here.</summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        foreach (var candidate in NativeLibraryPaths.Candidates(_dependencyDirectory, unmanagedDllName))
        {
            if (File.Exists(candidate)) return LoadUnmanagedDllFromPath(candidate);
        }
        return IntPtr.Zero;
    }
}
