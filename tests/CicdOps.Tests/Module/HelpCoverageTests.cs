using System.Xml.Linq;
using CicdOps.HelpGen;
using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>Every cmdlet and parameter has help, every help page has a cmdlet, and the MAML says the same as the assembly.</summary>
public sealed class HelpCoverageTests
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly string[] ShouldProcessParameters = { "Confirm", "WhatIf" };

    public static IEnumerable<object[]> Cmdlets() => CmdletCatalog.Names();

    private static IEnumerable<string> ExpectedParameters(CmdletDefinition c) =>
        c.Parameters.Select(p => p.Name).Concat(c.SupportsShouldProcess ? ShouldProcessParameters : Array.Empty<string>());

    private static CommandHelp Page(string name)
    {
        var file = Path.Combine(ModulePaths.HelpMarkdownDirectory, name + ".md");
        Assert.True(File.Exists(file), $"docs/help/{name}.md is missing");
        return CommandHelpParser.Parse(file, File.ReadAllText(file));
    }

    [Fact]
    public void Every_help_page_documents_an_exported_cmdlet()
    {
        var pages = Directory.GetFiles(ModulePaths.HelpMarkdownDirectory, "*.md")
            .Select(Path.GetFileNameWithoutExtension).Where(n => !n!.StartsWith("about_", StringComparison.Ordinal));
        Assert.Equal(CmdletCatalog.Cmdlets.Select(c => c.Name).OrderBy(n => n), pages.OrderBy(n => n));
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Markdown_documents_every_parameter_and_no_other(string name)
    {
        var page = Page(name);
        Assert.Equal(name, page.Name);
        Assert.Equal(ExpectedParameters(CmdletCatalog.Get(name)).OrderBy(n => n), page.Parameters.Select(p => p.Name).OrderBy(n => n));
        Assert.True(page.HasCommonParameters);
        Assert.True(page.Examples.Count >= 2, $"{name} needs at least two examples");
        Assert.All(page.Examples, e => Assert.Contains(name, e.Code));
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Markdown_parameter_metadata_matches_the_assembly(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        var page = Page(name);
        foreach (var parameter in cmdlet.Parameters)
        {
            var documented = page.Parameters.Single(p => p.Name == parameter.Name);
            foreach (var set in parameter.Sets)
            {
                var setName = set.Name ?? ParameterMetadata.AllSets;
                var meta = documented.Metadata.FirstOrDefault(m => m.ParameterSets.Contains(setName));
                Assert.True(meta is not null, $"{name} -{parameter.Name}: no yaml block for set {setName}");
                Assert.True(set.Mandatory == meta!.Required, $"{name} -{parameter.Name} ({setName}): Required");
                Assert.True((set.Position?.ToString() ?? "Named") == meta.Position, $"{name} -{parameter.Name} ({setName}): Position");
                Assert.True(set.ByValue == meta.PipelineInput.Contains("ByValue") && set.ByPropertyName == meta.PipelineInput.Contains("ByPropertyName"),
                    $"{name} -{parameter.Name} ({setName}): Accept pipeline input");
                Assert.True(parameter.Wildcards == meta.Globbing, $"{name} -{parameter.Name}: Accept wildcard characters");
            }
        }
    }

    [Fact]
    public void Maml_is_well_formed_and_names_every_cmdlet()
    {
        var maml = XDocument.Load(ModulePaths.Maml);
        var names = maml.Root!.Elements(Command + "command").Select(c => c.Element(Command + "details")!.Element(Command + "name")!.Value);
        Assert.Equal(CmdletCatalog.Cmdlets.Select(c => c.Name).OrderBy(n => n), names.OrderBy(n => n));
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Maml_names_every_parameter_examples_and_syntax_per_set(string name)
    {
        var cmdlet = CmdletCatalog.Get(name);
        var command = XDocument.Load(ModulePaths.Maml).Root!.Elements(Command + "command")
            .Single(c => c.Element(Command + "details")!.Element(Command + "name")!.Value == name);
        var details = command.Element(Command + "details")!;
        Assert.Equal(cmdlet.Verb, details.Element(Command + "verb")!.Value);
        Assert.Equal(cmdlet.Noun, details.Element(Command + "noun")!.Value);
        Assert.NotEmpty(details.Element(Maml + "description")!.Value);
        Assert.NotEmpty(command.Element(Maml + "description")!.Value);

        var parameters = command.Element(Command + "parameters")!.Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value);
        Assert.Equal(ExpectedParameters(cmdlet).OrderBy(n => n), parameters.OrderBy(n => n));
        Assert.All(command.Element(Command + "parameters")!.Elements(Command + "parameter"), p =>
        {
            foreach (var attribute in new[] { "required", "globbing", "pipelineInput", "position" }) Assert.NotNull(p.Attribute(attribute));
            Assert.NotEmpty(p.Element(XNamespace.Get("http://schemas.microsoft.com/maml/dev/2004/10") + "type")!.Value);
        });

        Assert.Equal(cmdlet.ParameterSets.Count, command.Element(Command + "syntax")!.Elements(Command + "syntaxItem").Count());
        var examples = command.Element(Command + "examples")!.Elements(Command + "example").ToList();
        Assert.True(examples.Count >= 2);
        Assert.All(examples, e => Assert.Contains(name, e.Element(XNamespace.Get("http://schemas.microsoft.com/maml/dev/2004/10") + "code")!.Value));
        Assert.NotEmpty(command.Element(Command + "returnValues")!.Elements());
        Assert.NotEmpty(command.Element(Command + "relatedLinks")!.Elements());
    }

    [Fact]
    public void About_topic_is_laid_out()
    {
        var text = File.ReadAllText(Path.Combine(ModulePaths.ModuleDirectory, "en-US", "about_CicdOps.help.txt"));
        Assert.StartsWith("TOPIC\n    about_CicdOps\n", text);
        foreach (var concept in new[] { "SHORT DESCRIPTION", "LONG DESCRIPTION", "PINS", "ROLLBACK", "install.sh", "run.sh", "health.sh", "CICDOPS_HOME",
            "LISTENER", "9641", "CICDOPS_WEBHOOK_SECRET", "AllowUnsigned", "Get-CicdWebhookDelivery",
            "SECRETS", "AES-256-GCM", "CICDOPS_MASTER_KEY_FILE", "***", "base64", "stderr", "CICD_", "LD_", "CicdInvalidSecretName",
            "LEAST PRIVILEGE", "cicd_<name>-<6 hex>", "0750", "setpriv", "SudoCommand", "RemoveServiceUser" })
            Assert.Contains(concept, text);
    }
}
