using System.Xml.Linq;
using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>CicdOps.Format.ps1xml and CicdOps.Types.ps1xml: well-formed, a table view per output type, columns that exist.</summary>
public sealed class FormatViewTests
{
    private static readonly XDocument Format = XDocument.Load(Path.Combine(ModulePaths.ModuleDirectory, "CicdOps.Format.ps1xml"));
    private static readonly XDocument Types = XDocument.Load(Path.Combine(ModulePaths.ModuleDirectory, "CicdOps.Types.ps1xml"));

    private static Dictionary<string, XElement> TableViews() =>
        Format.Descendants("View").Where(v => v.Element("TableControl") is not null)
            .ToDictionary(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value);

    /// <summary>
    /// Every type a cmdlet declares, plus the stage results every deployment carries; PowerShell formats its own
    /// types (Backup-CicdState's FileInfo) itself.
    /// </summary>
    public static IEnumerable<object[]> FormattedTypes() =>
        CmdletCatalog.Cmdlets.SelectMany(c => c.OutputTypes).Append("CicdOps.StageResult")
            .Where(t => t is not ("System.String" or "System.Void" or "System.IO.FileInfo")).Distinct().Select(t => new object[] { t });

    [Theory, MemberData(nameof(FormattedTypes))]
    public void Each_output_type_has_a_table_view(string type) => Assert.Contains(type, TableViews().Keys);

    [Theory, MemberData(nameof(FormattedTypes))]
    public void Table_columns_name_properties_that_exist(string type)
    {
        var view = TableViews()[type];
        // Contract records, or the few output classes the cmdlet assembly defines itself.
        var engineType = CmdletCatalog.LoadedAssembly("CicdOps.Contracts").GetType(type)
            ?? CmdletCatalog.LoadedAssembly("CicdOps.Cmdlets").GetType(type, throwOnError: true)!;
        var known = engineType.GetProperties().Select(p => p.Name)
            .Concat(Types.Descendants("Type").Where(t => t.Element("Name")!.Value == type).Descendants("Name").Skip(1).Select(n => n.Value))
            .ToHashSet();
        var columns = view.Descendants("TableColumnItem").ToList();
        Assert.Equal(view.Descendants("TableColumnHeader").Count(), columns.Count);
        foreach (var property in columns.Select(c => c.Element("PropertyName")?.Value).OfType<string>())
            Assert.True(known.Contains(property), $"{type} has no property {property}");
    }

    [Fact]
    public void Project_and_deployment_tables_show_the_columns_users_expect()
    {
        string[] Headers(string type) => TableViews()[type].Descendants("Label").Select(l => l.Value).ToArray();
        Assert.Equal(new[] { "Name", "Status", "Branch", "Commit", "Pinned", "Port", "Sandboxed" }, Headers("CicdOps.Project"));
        Assert.Equal(new[] { "Project", "Name", "UpdatedAt" }, Headers("CicdOps.SecretInfo"));
        Assert.Equal(new[] { "Id", "Project", "Commit", "Status", "Trigger", "Started", "Duration" }, Headers("CicdOps.Deployment"));
        Assert.Equal(new[] { "Received", "Provider", "Event", "Repository", "Ref", "Commit", "Signature", "Outcome", "StatusCode" },
            Headers("CicdOps.WebhookDelivery"));
        Assert.Equal(new[] { "Node", "Name", "Status", "Health", "Commit", "Pinned", "CPU%", "MemoryMB" }, Headers("CicdOps.FleetProject"));
        Assert.Equal(new[] { "Name", "State", "LastSeen", "Version", "CPU%", "FreeMemoryMB", "Load" }, Headers("CicdOps.FleetNode"));
    }

    [Fact]
    public void Extended_types_exist_in_the_contracts()
    {
        var engine = CmdletCatalog.LoadedAssembly("CicdOps.Contracts");
        foreach (var name in Types.Descendants("Type").Select(t => t.Element("Name")!.Value))
            Assert.NotNull(engine.GetType(name));
    }
}
