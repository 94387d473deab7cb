using System.Reflection;
using System.Xml.Linq;

namespace CicdOps.Tests.Module;

/// <summary>Where the built module and its inputs are, found from the repository (never from a real installation).</summary>
internal static class ModulePaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The version from Directory.Build.props (the one place it lives), as a module version.</summary>
    public static string ModuleVersion { get; } = System.Text.RegularExpressions.Regex.Match(
        XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Build.props")).Descendants("Version").Single().Value,
        @"^\d+(\.\d+){1,3}").Value;

    public static string ModuleDirectory => Path.Combine(RepositoryRoot, "artifacts", "module", "CicdOps", ModuleVersion);
    public static string CmdletAssembly => Path.Combine(ModuleDirectory, "CicdOps.Cmdlets.dll");
    public static string Manifest => Path.Combine(ModuleDirectory, "CicdOps.psd1");
    public static string HelpMarkdownDirectory => Path.Combine(RepositoryRoot, "docs", "help");
    public static string Maml => Path.Combine(ModuleDirectory, "en-US", "CicdOps.Cmdlets.dll-Help.xml");

    public static string Configuration => Metadata("Configuration");

    public static string SystemManagementAutomation =>
        Path.Combine(Metadata("PowerShellStandardLibraryPath"), "lib", "netstandard2.0", "System.Management.Automation.dll");

    public static string IsolationProbe =>
        Path.Combine(RepositoryRoot, "tests", "CicdOps.IsolationProbe", "bin", Configuration, "net8.0", "CicdOps.IsolationProbe.dll");

    public static string SurfaceProbe =>
        Path.Combine(RepositoryRoot, "tests", "CicdOps.SurfaceProbe", "bin", Configuration, "net10.0", "CicdOps.SurfaceProbe.dll");

    private static string Metadata(string key) =>
        typeof(ModulePaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"assembly metadata {key} is empty");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CicdOps.sln"))) return dir.FullName;
        throw new InvalidOperationException("CicdOps.sln not found above " + AppContext.BaseDirectory);
    }
}
