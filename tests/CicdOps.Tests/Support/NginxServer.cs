namespace CicdOps.Tests.Support;

/// <summary>
/// A real nginx (Debian's nginx-light at /usr/sbin/nginx) started by the test as root on a free loopback port,
/// with its whole configuration, pid file, logs and temp paths in a temporary directory. It proxies / to the
/// upstream block "app", whose servers come from <see cref="UpstreamFile"/> (the file CicdOps owns). Stopped on Dispose.
/// </summary>
public sealed class NginxServer : IDisposable
{
    public const string Program = "/usr/sbin/nginx";
    private readonly TempDirectory _dir = new("cicdops-nginx");

    public NginxServer(int initialUpstreamPort)
    {
        Port = FreePort.Next();
        Directory.CreateDirectory(_dir.Combine("upstream"));
        Directory.CreateDirectory(_dir.Combine("tmp"));
        File.WriteAllText(UpstreamFile, $"server 127.0.0.1:{initialUpstreamPort};\n");
        File.WriteAllText(Config, $$"""
            worker_processes 1;
            pid {{_dir.Combine("nginx.pid")}};
            error_log {{_dir.Combine("error.log")}};
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{_dir.Combine("tmp")}}/body;
                proxy_temp_path {{_dir.Combine("tmp")}}/proxy;
                fastcgi_temp_path {{_dir.Combine("tmp")}}/fastcgi;
                uwsgi_temp_path {{_dir.Combine("tmp")}}/uwsgi;
                scgi_temp_path {{_dir.Combine("tmp")}}/scgi;
                upstream app { include {{UpstreamFile}}; }
                server {
                    listen 127.0.0.1:{{Port}};
                    location / { proxy_pass http://app; }
                }
            }
            """);
        Run.Command(Program, null, "-c", Config, "-e", _dir.Combine("error.log"));
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(_dir.Combine("nginx.pid")) && DateTime.UtcNow < until) Thread.Sleep(20);
        if (!File.Exists(_dir.Combine("nginx.pid"))) throw new InvalidOperationException("nginx did not start: " + ErrorLog);
    }

    public int Port { get; }
    public string Config => _dir.Combine("nginx.conf");
    public string UpstreamFile => _dir.Combine("upstream", "app.conf");
    public string ErrorLog => File.Exists(_dir.Combine("error.log")) ? File.ReadAllText(_dir.Combine("error.log")) : "";
    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>
    /// True once a reload has finished: the master has its one worker and no old one that is shutting down (until it
    /// has, an old worker can still accept a new connection and send it to the old upstream).
    /// </summary>
    public bool OnlyTheCurrentWorker()
    {
        if (!int.TryParse(File.ReadAllText(_dir.Combine("nginx.pid")).Trim(), out var master)) return false;
        var workers = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
                if (ppid == master.ToString()) workers.Add(File.ReadAllText(Path.Combine(dir, "cmdline")));
            }
            catch (IOException) { }
        }
        return workers.Count == 1 && !workers[0].Contains("shutting down");
    }

    public void Dispose()
    {
        var pidFile = _dir.Combine("nginx.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            // -s stop (SIGTERM to the master): it takes its workers down with it, as a SIGKILL would not.
            Run.Try(Program, null, "-c", Config, "-s", "stop");
            var until = DateTime.UtcNow.AddSeconds(10);
            while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < until) Thread.Sleep(20);
        }
        _dir.Dispose();
    }
}
