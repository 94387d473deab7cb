namespace CicdOps.Tests.Support;

/// <summary>
/// Tests that set process-wide environment variables (Environment.SetEnvironmentVariable) run here, alone: every
/// other test that starts a process or reads the environment would otherwise see (or miss) them mid-change.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process-environment";
}
