namespace CicdOps.Engine.Pipelines;

/// <summary>One thing wrong with a pipeline file, at a JSON pointer ("/steps/0/run"; "/" for the whole document).</summary>
public sealed record PipelineProblem(string Pointer, string Message)
{
    public override string ToString() => $"{(Pointer.Length == 0 ? "/" : Pointer)}: {Message}";
}
