using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Processes;

/// <summary>
/// What to start: the argument list, and the plan that runs it as the project's account with its clean
/// environment. A null <see cref="Plan"/> runs it as the engine itself with the engine's environment
/// (the engine's own worker process, never a project's script).
/// </summary>
internal sealed record LaunchSpec(IReadOnlyList<string> Argv, LaunchPlan? Plan);
