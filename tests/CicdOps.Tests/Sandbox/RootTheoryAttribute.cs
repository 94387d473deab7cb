namespace CicdOps.Tests.Sandbox;

/// <summary>A theory with the same root requirement as <see cref="RootFactAttribute"/> (skipped, or failing, exactly when it would be).</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute() => Skip = new RootFactAttribute().Skip;
}
