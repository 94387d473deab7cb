namespace CicdOps.Engine.Deploy;

/// <summary>The three scripts a project provides, relative to its working tree.</summary>
internal static class ScriptNames
{
    public const string Install = ".cicd/install.sh";
    public const string Run = ".cicd/run.sh";
    public const string Health = ".cicd/health.sh";
}
