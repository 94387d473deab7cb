using System.Xml.Linq;
using CicdOps.HelpGen;
using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>The markdown → MAML generator: accepts the platyPS schema, rejects pages that break it with file:line.</summary>
public sealed class HelpGeneratorTests
{
    private const string Valid = """
        ---
        external help file: Demo.dll-Help.xml
        Module Name: Demo
        online version: https://example.invalid/Get-Demo
        schema: 2.0.0
        ---

        # Get-Demo

        ## SYNOPSIS
        Gets demos.

        ## SYNTAX

        ### ByName (Default)
        ```
        Get-Demo [-Name] <String[]> [-Force]
        ```

        ## DESCRIPTION
        First paragraph
        continues here.

        Second paragraph.

        ## EXAMPLES

        ### Example 1: One
        ```powershell
        Get-Demo -Name a
        ```

        Remark one.

        ## PARAMETERS

        ### -Name
        The names.

        ```yaml
        Type: String[]
        Parameter Sets: ByName
        Aliases: N

        Required: True
        Position: 0
        Default value: None
        Accept pipeline input: True (ByPropertyName)
        Accept wildcard characters: True
        ```

        ### -Id
        The id.

        ```yaml
        Type: Int64
        Parameter Sets: ById
        Aliases:

        Required: True
        Position: Named
        Default value: None
        Accept pipeline input: False
        Accept wildcard characters: False
        ```

        ### -Force
        Forces.

        ```yaml
        Type: SwitchParameter
        Parameter Sets: (All)
        Aliases:

        Required: False
        Position: Named
        Default value: False
        Accept pipeline input: False
        Accept wildcard characters: False
        ```

        ### CommonParameters
        Common.

        ## INPUTS

        ### System.String
        Names.

        ## OUTPUTS

        ### Demo.Thing
        Things.

        ## NOTES
        A note.

        ## RELATED LINKS

        [about_Demo](https://example.invalid/about_Demo)
        """;

    [Fact]
    public void Parses_a_platyPS_page()
    {
        var help = CommandHelpParser.Parse("Get-Demo.md", Valid);
        Assert.Equal("Get-Demo", help.Name);
        Assert.Equal(new[] { "First paragraph continues here.", "Second paragraph." }, help.Description);
        var example = Assert.Single(help.Examples);
        Assert.Equal("Get-Demo -Name a", example.Code);
        Assert.Equal(new[] { "Remark one." }, example.Remarks);
        Assert.Equal(new[] { "Name", "Id", "Force" }, help.Parameters.Select(p => p.Name));
        var name = help.Parameters[0].Metadata.Single();
        Assert.True(name.Required);
        Assert.True(name.Globbing);
        Assert.Equal(new[] { "N" }, name.Aliases);
        Assert.Equal("0", name.Position);
        Assert.Equal("https://example.invalid/about_Demo", help.Links.Single().Uri);
    }

    [Fact]
    public void Writes_platyPS_shaped_maml_with_a_syntax_item_per_set()
    {
        var doc = MamlWriter.Write(new[] { CommandHelpParser.Parse("Get-Demo.md", Valid) });
        var command = doc.Root!.Element(MamlWriter.Command + "command")!;
        Assert.Equal("maml", doc.Root.Attribute("schema")!.Value);
        Assert.Equal("Get", command.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Command + "verb")!.Value);
        Assert.Equal("Demo", command.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Command + "noun")!.Value);

        var items = command.Element(MamlWriter.Command + "syntax")!.Elements(MamlWriter.Command + "syntaxItem").ToList();
        string[] Names(XElement item) => item.Elements(MamlWriter.Command + "parameter").Select(p => p.Element(MamlWriter.Maml + "name")!.Value).ToArray();
        Assert.Equal(new[] { "Name", "Force" }, Names(items[0]));
        Assert.Equal(new[] { "Id", "Force" }, Names(items[1]));

        var force = items[0].Elements(MamlWriter.Command + "parameter").Last();
        Assert.Null(force.Element(MamlWriter.Command + "parameterValue")); // switches take no value
        var nameParameter = command.Element(MamlWriter.Command + "parameters")!.Elements().First();
        Assert.Equal("true", nameParameter.Attribute("required")!.Value);
        Assert.Equal("true", nameParameter.Attribute("globbing")!.Value);
        Assert.Equal("True (ByPropertyName)", nameParameter.Attribute("pipelineInput")!.Value);
        Assert.Equal("0", nameParameter.Attribute("position")!.Value);
        Assert.Equal("String[]", nameParameter.Element(MamlWriter.Dev + "type")!.Element(MamlWriter.Maml + "name")!.Value);

        var example = command.Element(MamlWriter.Command + "examples")!.Element(MamlWriter.Command + "example")!;
        Assert.Contains("Example 1: One", example.Element(MamlWriter.Maml + "title")!.Value);
        Assert.Equal("Get-Demo -Name a", example.Element(MamlWriter.Dev + "code")!.Value);
        Assert.Equal("Remark one.", example.Element(MamlWriter.Dev + "remarks")!.Value);
        Assert.Equal("System.String", command.Element(MamlWriter.Command + "inputTypes")!.Descendants(MamlWriter.Maml + "name").First().Value);
        Assert.Equal("Demo.Thing", command.Element(MamlWriter.Command + "returnValues")!.Descendants(MamlWriter.Maml + "name").First().Value);
        Assert.Equal(2, command.Element(MamlWriter.Command + "relatedLinks")!.Elements().Count()); // online version + one link
    }

    [Theory]
    [InlineData("## NOTES\nA note.\n", "", "missing section '## NOTES'")]
    [InlineData("Accept wildcard characters: True\n", "", "lacks 'Accept wildcard characters:'")]
    [InlineData("schema: 2.0.0", "schema: 1.0.0", "schema: 2.0.0")]
    [InlineData("```powershell\nGet-Demo -Name a\n```", "Get-Demo -Name a", "has no code block")]
    [InlineData("Required: True", "Required: maybe", "is not True or False")]
    public void Rejects_pages_that_break_the_schema(string remove, string replacement, string expected)
    {
        var broken = Valid.Replace(remove, replacement);
        Assert.NotEqual(Valid, broken);
        var ex = Assert.Throws<HelpFormatException>(() => CommandHelpParser.Parse("Get-Demo.md", broken));
        Assert.Contains(expected, ex.Message);
        Assert.StartsWith("Get-Demo.md:", ex.Message);
    }

    [Fact]
    public void About_topic_becomes_indented_help_text()
    {
        var (topic, text) = AboutTopicConverter.Convert("about_Demo.md",
            "# about_Demo\n\n## SHORT DESCRIPTION\nShort.\n\n## LONG DESCRIPTION\nLong text.\n\n### Pins\nPinned.\n\n```\ncode\n```\n");
        Assert.Equal("about_Demo", topic);
        Assert.Equal("TOPIC\n    about_Demo\n\nSHORT DESCRIPTION\n    Short.\n\nLONG DESCRIPTION\n    Long text.\n\n    PINS\n    Pinned.\n\n        code\n", text);
    }

    [Fact]
    public void About_topic_without_long_description_is_rejected() =>
        Assert.Throws<HelpFormatException>(() => AboutTopicConverter.Convert("about_Demo.md", "# about_Demo\n\n## SHORT DESCRIPTION\nShort.\n"));
}
