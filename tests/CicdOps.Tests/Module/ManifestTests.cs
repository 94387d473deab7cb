using System.Text.RegularExpressions;
using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>The stamped manifest of the laid-out module (read as text: there is no pwsh here to import it).</summary>
public sealed class ManifestTests
{
    private static readonly string Manifest = File.ReadAllText(ModulePaths.Manifest);

    private static string Value(string key)
    {
        var m = Regex.Match(Manifest, $@"^\s*{key}\s*=\s*'([^']*)'", RegexOptions.Multiline);
        Assert.True(m.Success, $"manifest lacks {key} = '...'");
        return m.Groups[1].Value;
    }

    private static List<string> List(string key)
    {
        var m = Regex.Match(Manifest, $@"^\s*{key}\s*=\s*@\(([^)]*)\)", RegexOptions.Multiline);
        Assert.True(m.Success, $"manifest lacks {key} = @(...)");
        return Regex.Matches(m.Groups[1].Value, "'([^']*)'").Select(x => x.Groups[1].Value).ToList();
    }

    [Fact]
    public void Version_is_stamped_from_Directory_Build_props() => Assert.Equal(ModulePaths.ModuleVersion, Value("ModuleVersion"));

    [Fact]
    public void CmdletsToExport_is_exactly_the_cmdlet_classes() =>
        Assert.Equal(CmdletCatalog.Cmdlets.Select(c => c.Name).OrderBy(n => n), List("CmdletsToExport").OrderBy(n => n));

    [Theory]
    [InlineData("FunctionsToExport")]
    [InlineData("AliasesToExport")]
    [InlineData("VariablesToExport")]
    public void Nothing_else_is_exported(string key) => Assert.Empty(List(key));

    [Fact]
    public void Targets_PowerShell_7_4_Core_with_the_cmdlet_assembly_as_root()
    {
        Assert.Equal("CicdOps.Cmdlets.dll", Value("RootModule"));
        Assert.Equal("7.4", Value("PowerShellVersion"));
        Assert.Equal(new[] { "Core" }, List("CompatiblePSEditions"));
        Assert.True(Guid.TryParse(Value("GUID"), out _));
        Assert.NotEmpty(Value("Author"));
        Assert.NotEmpty(Value("Description"));
    }

    [Fact]
    public void Formats_types_and_PSData_are_declared()
    {
        Assert.Equal(new[] { "CicdOps.Format.ps1xml" }, List("FormatsToProcess"));
        Assert.Equal(new[] { "CicdOps.Types.ps1xml" }, List("TypesToProcess"));
        foreach (var key in new[] { "LicenseUri", "ProjectUri", "ReleaseNotes" }) Assert.NotEmpty(Value(key));
        Assert.NotEmpty(List("Tags"));
    }
}
