namespace CicdOps.Tests.Support;

/// <summary>
/// Tests that look at machine-wide state other tests in this process also create (temporary files of every engine,
/// say) run alone, so what they see is their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}
