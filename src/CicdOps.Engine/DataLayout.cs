namespace CicdOps.Engine;

/// <summary>Where each kind of file lives under the data directory. Project names are validated, so they are safe path parts.</summary>
internal sealed class DataLayout
{
    public DataLayout(string root) { Root = root; }

    public string Root { get; }
    public string ProjectLogs(string project) => Path.Combine(Root, "logs", project);
    public string DeploymentLogs(string project) => Path.Combine(ProjectLogs(project), "deployments");
    public string AppLog(string project) => Path.Combine(ProjectLogs(project), "app.log");
    public string WorkerLog(string project) => Path.Combine(ProjectLogs(project), "worker.log");
    public string RunDirectory(string project) => Path.Combine(Root, "run", project);
    public string PidFile(string project) => Path.Combine(RunDirectory(project), "app.pid");
    public string Patches(string project) => Path.Combine(Root, "patches", project);

    /// <summary>Is <paramref name="path"/> the data directory or inside it? (A project's tree must not be.)</summary>
    public bool Contains(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/') + "/";
        return full.StartsWith(Root.TrimEnd('/') + "/", StringComparison.Ordinal);
    }
}
