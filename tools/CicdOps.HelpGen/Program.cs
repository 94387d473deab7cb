using System.Text;
using System.Xml;
using CicdOps.HelpGen;

// Usage: CicdOps.HelpGen <docs/help dir> <output en-US dir>
// Every <Command>.md becomes part of the one MAML file its front matter names; every about_*.md an about_*.help.txt.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: CicdOps.HelpGen <markdown-dir> <output-dir>");
    return 2;
}
var (source, output) = (args[0], args[1]);
try
{
    Directory.CreateDirectory(output);
    var pages = Directory.GetFiles(source, "*.md").OrderBy(f => f, StringComparer.Ordinal).ToList();
    var commands = pages.Where(p => !Path.GetFileName(p).StartsWith("about_", StringComparison.OrdinalIgnoreCase))
        .Select(p => CommandHelpParser.Parse(p, File.ReadAllText(p)))
        .ToList();
    foreach (var c in commands)
        if (!Path.GetFileNameWithoutExtension(c.SourceFile).Equals(c.Name, StringComparison.Ordinal))
            throw new HelpFormatException(c.SourceFile, 1, $"page title '{c.Name}' does not match the file name");

    var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    foreach (var group in commands.GroupBy(c => c.Metadata["external help file"], StringComparer.Ordinal))
    {
        var target = Path.Combine(output, Path.GetFileName(group.Key));
        using var writer = XmlWriter.Create(target, new XmlWriterSettings { Indent = true, Encoding = utf8 });
        MamlWriter.Write(group).Save(writer);
        Console.WriteLine($"{target}: {group.Count()} commands");
    }
    foreach (var page in pages.Where(p => Path.GetFileName(p).StartsWith("about_", StringComparison.OrdinalIgnoreCase)))
    {
        var (topic, text) = AboutTopicConverter.Convert(page, File.ReadAllText(page));
        var target = Path.Combine(output, topic + ".help.txt");
        File.WriteAllText(target, text, utf8);
        Console.WriteLine(target);
    }
    return 0;
}
catch (HelpFormatException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
