using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>One request the fake forge received.</summary>
public sealed record ForgeRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
}

/// <summary>
/// A forge's commit status API on a loopback port (a real HTTP server): it records every request and answers as the
/// forge does — 201 with the created status when the path, token header and body are what that API takes, 401 with the
/// forge's message for a wrong token, 404 for any other path, 422/400 for a body it would refuse.
/// </summary>
public sealed class ForgeApiServer : IDisposable
{
    private readonly HttpListener _http = new();
    private readonly Task _loop;
    private readonly string _kind;
    private readonly string _token;

    public ForgeApiServer(string kind, string token)
    {
        _kind = kind;
        _token = token;
        Port = FreePort.Next();
        _http.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _http.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public ConcurrentQueue<ForgeRequest> Requests { get; } = new();

    /// <summary>The API base a project names: /api/v3 GitHub Enterprise, /api/v4 GitLab, /api/v1 Gitea.</summary>
    public string ApiBase => $"http://127.0.0.1:{Port}" + _kind switch { "github" => "/api/v3", "gitlab" => "/api/v4", _ => "/api/v1" };

    public async Task<IReadOnlyList<ForgeRequest>> WaitForAsync(int n)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (Requests.Count < n && DateTime.UtcNow < until) await Task.Delay(20);
        return Requests.ToList();
    }

    private async Task LoopAsync()
    {
        while (_http.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _http.GetContextAsync(); }
            catch (Exception) { return; }
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = ctx.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => ctx.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var request = new ForgeRequest(ctx.Request.HttpMethod, ctx.Request.Url!.AbsolutePath, headers, body);
            Requests.Enqueue(request);
            var (status, answer) = Answer(request);
            var bytes = Encoding.UTF8.GetBytes(answer);
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
    }

    private (int, string) Answer(ForgeRequest r)
    {
        var authorized = _kind switch
        {
            "github" => r.Headers.GetValueOrDefault("Authorization") == "Bearer " + _token,
            "gitlab" => r.Headers.GetValueOrDefault("PRIVATE-TOKEN") == _token,
            _ => r.Headers.GetValueOrDefault("Authorization") == "token " + _token,
        };
        if (!authorized)
            return _kind == "gitlab" ? (401, """{"message":"401 Unauthorized"}""") : (401, """{"message":"Bad credentials"}""");
        if (r.Method != "POST" || !r.Path.Contains("/statuses/")) return (404, """{"message":"Not Found"}""");
        JsonObject json;
        try { json = r.Json; } catch (Exception) { return (400, """{"message":"Problems parsing JSON"}"""); }
        var state = (string?)json["state"];
        var valid = _kind == "gitlab" ? state is "pending" or "running" or "success" or "failed" or "canceled"
            : state is "pending" or "success" or "failure" or "error";
        if (!valid) return (_kind == "gitlab" ? 400 : 422, """{"message":"Validation Failed"}""");
        var created = new JsonObject { ["id"] = Requests.Count, ["state"] = state, ["description"] = (string?)json["description"] };
        return (201, created.ToJsonString());
    }

    public void Dispose()
    {
        // The managed HttpListener looks its endpoint up again while closing and can throw EADDRINUSE when another
        // test's socket took the port meanwhile; this server stops serving either way.
        try { _http.Stop(); _http.Close(); } catch (System.Net.HttpListenerException) { }
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
