using CicdOps.Cmdlets.Isolation;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// The self-contained `cicdops` executable the module carries (bin/&lt;rid&gt;/cicdops beside the manifest). The module
/// launches it for everything that must outlive or run beside the pwsh session — deployment workers, the masking
/// log pump, the listener — so it never depends on PATH or on a source checkout.
/// </summary>
internal static class ModuleExecutable
{
    public const string NotFoundErrorId = "CicdExecutableNotFound";

    /// <summary>The module's folder (where the manifest and the cmdlet assembly are).</summary>
    public static string ModuleDirectory { get; } = Path.GetDirectoryName(typeof(ModuleExecutable).Assembly.Location)!;

    /// <summary>Where the executable for this machine's OS and CPU is (whether or not it exists).</summary>
    public static string PathForThisMachine { get; } =
        Path.Combine(ModuleDirectory, "bin", NativeLibraryPaths.CurrentRid(), OperatingSystem.IsWindows() ? "cicdops.exe" : "cicdops");

    public static bool IsPresent => ExecutableLookup.IsExecutableFile(PathForThisMachine);

    /// <summary>One line saying what is missing and what to do.</summary>
    public static string MissingMessage =>
        $"The module has no cicdops executable for {NativeLibraryPaths.CurrentRid()} (expected {PathForThisMachine}). " +
        "Reinstall the module, or build it from a checkout with ./build.ps1 (which publishes it).";
}
