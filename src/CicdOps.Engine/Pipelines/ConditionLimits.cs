namespace CicdOps.Engine.Pipelines;

/// <summary>
/// What one condition may use. A condition comes from the repository, so it is treated as untrusted code: it gets
/// no CLR, and these bounds on time, statements, memory and recursion.
/// </summary>
public sealed record ConditionLimits
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(250);
    public int MaxStatements { get; init; } = 100_000;
    /// <summary>Bytes the evaluating thread may allocate (checked by Jint between statements).</summary>
    public long MaxMemoryBytes { get; init; } = 32 * 1024 * 1024;
    public int MaxRecursionDepth { get; init; } = 64;

    public static ConditionLimits Default { get; } = new();
}
