using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>What `dotnet build` lays out under artifacts/module/CicdOps/&lt;version&gt;/.</summary>
public sealed class ModuleLayoutTests
{
    [Theory]
    [InlineData("CicdOps.psd1")]
    [InlineData("CicdOps.Cmdlets.dll")]
    [InlineData("CicdOps.Contracts.dll")]
    [InlineData("CicdOps.Format.ps1xml")]
    [InlineData("CicdOps.Types.ps1xml")]
    [InlineData("en-US/CicdOps.Cmdlets.dll-Help.xml")]
    [InlineData("en-US/about_CicdOps.help.txt")]
    [InlineData("dependencies/CicdOps.Engine.dll")]
    [InlineData("dependencies/Microsoft.Data.Sqlite.dll")]
    [InlineData("dependencies/SQLitePCLRaw.core.dll")]
    [InlineData("dependencies/SQLitePCLRaw.provider.e_sqlite3.dll")]
    [InlineData("dependencies/runtimes/linux-x64/native/libe_sqlite3.so")]
    [InlineData("dependencies/runtimes/linux-arm64/native/libe_sqlite3.so")]
    [InlineData("dependencies/runtimes/osx-x64/native/libe_sqlite3.dylib")]
    [InlineData("dependencies/runtimes/osx-arm64/native/libe_sqlite3.dylib")]
    [InlineData("dependencies/runtimes/win-x64/native/e_sqlite3.dll")]
    public void File_is_laid_out(string relative) => Assert.True(File.Exists(Path.Combine(ModulePaths.ModuleDirectory, relative)), relative);

    [Theory]
    [InlineData("CicdOps.Engine.dll")]
    [InlineData("Microsoft.Data.Sqlite.dll")]
    [InlineData("System.Management.Automation.dll")]
    [InlineData("dependencies/CicdOps.Contracts.dll")]
    public void Only_the_cmdlet_and_contract_assemblies_sit_beside_the_manifest(string file) =>
        // Anything beside the manifest is loaded into pwsh's default load context, defeating the isolation; a second
        // copy of the contracts under dependencies/ would give the engine its own Project type, not the user's.
        Assert.False(File.Exists(Path.Combine(ModulePaths.ModuleDirectory, file)), file);

    [Fact]
    public void The_module_never_loads_ASP_NET_only_the_cicdops_executable_carries_it()
    {
        // pwsh has no ASP.NET Core shared framework: the server lives in the CLI, which Start-CicdListener runs.
        var managed = Directory.GetFiles(ModulePaths.ModuleDirectory, "*.dll", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(Path.GetFileName).ToList();
        Assert.DoesNotContain("CicdOps.Server.dll", managed);
        Assert.DoesNotContain(managed, f => f!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(ModulePaths.CmdletAssembly));
        var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        var references = md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).ToList();
        Assert.DoesNotContain("CicdOps.Server", references);
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void PowerShell_is_not_shipped() =>
        Assert.Empty(Directory.GetFiles(ModulePaths.ModuleDirectory, "System.Management.Automation.dll", SearchOption.AllDirectories));
}
