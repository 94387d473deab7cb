namespace CicdOps.Tests.Support;

/// <summary>Ready-made .cicd scripts for small real apps used across tests.</summary>
public static class Apps
{
    /// <summary>A foreground app that records its version and stays alive; health passes when the version file says so.</summary>
    public static TestRepository WriteSleeper(this TestRepository repo, string version, string stateDir, bool healthy = true)
    {
        repo.Write("VERSION", version + "\n");
        repo.Write(".cicd/run.sh", $$"""
            #!/bin/bash
            echo "starting $(cat VERSION) commit $CICD_COMMIT"
            cat VERSION > "{{stateDir}}/serving"
            exec sleep 300
            """);
        repo.Write(".cicd/health.sh", healthy
            ? $"#!/bin/bash\ngrep -qx '{version}' \"{stateDir}/serving\"\n"
            : "#!/bin/bash\necho 'not healthy'\nexit 1\n");
        return repo;
    }

    /// <summary>A tiny HTTP server on $PORT (python3), serving the VERSION file.</summary>
    public static TestRepository WriteWebApp(this TestRepository repo, string version, bool healthy = true)
    {
        repo.Write("VERSION", version + "\n");
        repo.Write(".cicd/run.sh", """
            #!/bin/bash
            exec python3 -m http.server "$PORT" --bind 127.0.0.1
            """);
        repo.Write(".cicd/health.sh", healthy
            ? "#!/bin/bash\ncurl -fsS \"http://127.0.0.1:$PORT/VERSION\" >/dev/null\n"
            : "#!/bin/bash\nexit 1\n");
        return repo;
    }
}
