namespace CicdOps.HelpGen;

/// <summary>One cmdlet's help as written in its platyPS markdown page.</summary>
internal sealed record CommandHelp
{
    public required string Name { get; init; }
    public required string SourceFile { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Synopsis { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Description { get; init; } = Array.Empty<string>();
    public IReadOnlyList<ExampleHelp> Examples { get; init; } = Array.Empty<ExampleHelp>();
    public IReadOnlyList<ParameterHelp> Parameters { get; init; } = Array.Empty<ParameterHelp>();
    public bool HasCommonParameters { get; init; }
    public IReadOnlyList<TypeHelp> Inputs { get; init; } = Array.Empty<TypeHelp>();
    public IReadOnlyList<TypeHelp> Outputs { get; init; } = Array.Empty<TypeHelp>();
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();
    public IReadOnlyList<LinkHelp> Links { get; init; } = Array.Empty<LinkHelp>();

    public string Verb => Name.Split('-', 2)[0];
    public string Noun => Name.Contains('-') ? Name.Split('-', 2)[1] : "";
}

internal sealed record ExampleHelp(string Title, IReadOnlyList<string> Introduction, string Code, IReadOnlyList<string> Remarks);

/// <summary>A parameter with one metadata block per distinct combination of parameter sets.</summary>
internal sealed record ParameterHelp(string Name, IReadOnlyList<string> Description, IReadOnlyList<ParameterMetadata> Metadata)
{
    public string Type => Metadata.Select(m => m.Type).FirstOrDefault(t => !string.IsNullOrEmpty(t)) ?? "Object";
}

internal sealed record ParameterMetadata
{
    public string Type { get; init; } = "";
    public IReadOnlyList<string> ParameterSets { get; init; } = new[] { AllSets };
    public IReadOnlyList<string> Aliases { get; init; } = Array.Empty<string>();
    public bool Required { get; init; }
    /// <summary>"named" or a number.</summary>
    public string Position { get; init; } = "named";
    public string DefaultValue { get; init; } = "None";
    public string PipelineInput { get; init; } = "False";
    public bool Globbing { get; init; }

    public const string AllSets = "(All)";
    public bool AppliesTo(string set) => ParameterSets.Contains(AllSets) || ParameterSets.Contains(set, StringComparer.OrdinalIgnoreCase);
}

internal sealed record TypeHelp(string Type, IReadOnlyList<string> Description);

internal sealed record LinkHelp(string Text, string Uri);
