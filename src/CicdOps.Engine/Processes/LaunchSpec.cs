namespace CicdOps.Engine.Processes;

/// <summary>
/// What to run for a project script: the argument list and the environment. When
/// <see cref="CleanEnvironment"/> is set the child gets exactly <see cref="Environment"/> and nothing of ours.
/// </summary>
internal sealed record LaunchSpec(IReadOnlyList<string> Argv, IReadOnlyDictionary<string, string> Environment, bool CleanEnvironment);
