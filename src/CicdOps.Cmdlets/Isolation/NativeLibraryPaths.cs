using System.Runtime.InteropServices;

namespace CicdOps.Cmdlets.Isolation;

/// <summary>Where a native library shipped under dependencies/runtimes/&lt;rid&gt;/native/ lives for this OS and CPU.</summary>
public static class NativeLibraryPaths
{
    /// <summary>The runtime identifier folder for the running process, e.g. linux-x64, osx-arm64, win-x64.</summary>
    public static string CurrentRid()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            Architecture.Arm => "arm",
            var other => other.ToString().ToLowerInvariant(),
        };
        return os + "-" + arch;
    }

    /// <summary>File names the loader would try for <paramref name="name"/> (e_sqlite3 → libe_sqlite3.so, e_sqlite3.dll, ...).</summary>
    public static IEnumerable<string> FileNames(string name)
    {
        var baseName = Path.GetFileName(name);
        if (Path.HasExtension(baseName) && (baseName.EndsWith(".so", StringComparison.Ordinal) || baseName.EndsWith(".dylib", StringComparison.Ordinal) || baseName.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)))
        {
            yield return baseName;
            yield break;
        }
        var ext = OperatingSystem.IsWindows() ? ".dll" : OperatingSystem.IsMacOS() ? ".dylib" : ".so";
        if (!OperatingSystem.IsWindows() && !baseName.StartsWith("lib", StringComparison.Ordinal))
            yield return "lib" + baseName + ext;
        yield return baseName + ext;
    }

    public static IEnumerable<string> Candidates(string dependencyDirectory, string name)
    {
        var native = Path.Combine(dependencyDirectory, "runtimes", CurrentRid(), "native");
        foreach (var file in FileNames(name))
            yield return Path.Combine(native, file);
    }
}
