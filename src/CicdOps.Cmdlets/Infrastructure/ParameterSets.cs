namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>Parameter set names shared by the cmdlets, so docs and tests refer to the same strings.</summary>
internal static class ParameterSets
{
    public const string ByName = "Name";
    public const string ByInputObject = "InputObject";
    public const string ById = "Id";
    public const string Clear = "Clear";
    public const string BySecret = "Secret";
    public const string BySecretFile = "SecretFile";
}
