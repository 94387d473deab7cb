using System.Reflection;
using System.Runtime.InteropServices;

namespace CicdOps.Tests.Module;

internal sealed record CmdletParameterSet(string? Name, bool Mandatory, int? Position, bool ByValue, bool ByPropertyName)
{
    public const string AllSets = "__AllParameterSets";
    public bool AppliesTo(string set) => Name is null || Name == AllSets || Name == set;
}

internal sealed record CmdletParameter(string Name, Type Type, IReadOnlyList<CmdletParameterSet> Sets, string? Completer, bool Wildcards);

internal sealed record CmdletDefinition(
    string Name, string Verb, string Noun, Type Class, bool SupportsShouldProcess, int ConfirmImpact, string? DefaultParameterSetName,
    IReadOnlyList<string> OutputTypes, IReadOnlyList<CmdletParameter> Parameters)
{
    public const int ConfirmImpactHigh = 3;

    /// <summary>Named sets, or the one implicit set when the cmdlet names none.</summary>
    public IReadOnlyList<string> ParameterSets
    {
        get
        {
            var named = Parameters.SelectMany(p => p.Sets).Select(s => s.Name)
                .Where(n => n is not null && n != CmdletParameterSet.AllSets).Distinct().ToList();
            return named.Count == 0 ? new[] { CmdletParameterSet.AllSets } : named!;
        }
    }

    public override string ToString() => Name;
}

/// <summary>
/// The cmdlets of the built module, read with MetadataLoadContext: attributes only, nothing runs, so no
/// PowerShell is needed (System.Management.Automation is PowerShellStandard.Library's reference assembly).
/// </summary>
internal static class CmdletCatalog
{
    private static readonly Lazy<(MetadataLoadContext Context, IReadOnlyList<CmdletDefinition> Cmdlets)> Loaded = new(Load);

    public static IReadOnlyList<CmdletDefinition> Cmdlets => Loaded.Value.Cmdlets;

    public static Assembly LoadedAssembly(string simpleName) =>
        Loaded.Value.Context.GetAssemblies().Single(a => a.GetName().Name == simpleName);

    public static IEnumerable<object[]> Names() => Cmdlets.Select(c => new object[] { c.Name });

    public static CmdletDefinition Get(string name) => Cmdlets.Single(c => c.Name == name);

    private static (MetadataLoadContext, IReadOnlyList<CmdletDefinition>) Load()
    {
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll").ToList();
        // The cmdlet assembly and the contracts beside it (pwsh's default context), then the engine's context.
        paths.AddRange(Directory.GetFiles(ModulePaths.ModuleDirectory, "*.dll"));
        paths.AddRange(Directory.GetFiles(Path.Combine(ModulePaths.ModuleDirectory, "dependencies"), "*.dll"));
        paths.Add(ModulePaths.SystemManagementAutomation);
        var context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        var assembly = context.LoadFromAssemblyPath(ModulePaths.CmdletAssembly);
        var cmdlets = assembly.GetTypes().Select(Read).OfType<CmdletDefinition>().OrderBy(c => c.Name).ToList();
        return (context, cmdlets);
    }

    private static CmdletDefinition? Read(Type type)
    {
        var cmdlet = type.GetCustomAttributesData().SingleOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
        if (cmdlet is null) return null;
        var verb = (string)cmdlet.ConstructorArguments[0].Value!;
        var noun = (string)cmdlet.ConstructorArguments[1].Value!;
        var outputs = type.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute")
            .SelectMany(a => ((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!)
                .Select(v => v.Value is Type t ? t.FullName! : v.Value!.ToString()!))
            .Distinct().ToList();
        var parameters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(ReadParameter).OfType<CmdletParameter>().ToList();
        return new CmdletDefinition(verb + "-" + noun, verb, noun, type,
            Named<bool>(cmdlet, "SupportsShouldProcess"), Named<int>(cmdlet, "ConfirmImpact"), Named<string?>(cmdlet, "DefaultParameterSetName"),
            outputs, parameters);
    }

    private static CmdletParameter? ReadParameter(PropertyInfo property)
    {
        var attributes = property.GetCustomAttributesData();
        var sets = attributes.Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute")
            .Select(a => new CmdletParameterSet(
                Named<string?>(a, "ParameterSetName"),
                Named<bool>(a, "Mandatory"),
                a.NamedArguments.Any(n => n.MemberName == "Position") ? Named<int>(a, "Position") : null,
                Named<bool>(a, "ValueFromPipeline"),
                Named<bool>(a, "ValueFromPipelineByPropertyName")))
            .ToList();
        if (sets.Count == 0) return null;
        var completer = attributes.SingleOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.ArgumentCompleterAttribute");
        return new CmdletParameter(property.Name, property.PropertyType, sets,
            completer?.ConstructorArguments[0].Value is Type t ? t.FullName : null,
            attributes.Any(a => a.AttributeType.FullName == "System.Management.Automation.SupportsWildcardsAttribute"));
    }

    private static T Named<T>(CustomAttributeData attribute, string name)
    {
        var argument = attribute.NamedArguments.FirstOrDefault(n => n.MemberName == name);
        return argument.MemberInfo is null ? default! : (T)argument.TypedValue.Value!;
    }
}
