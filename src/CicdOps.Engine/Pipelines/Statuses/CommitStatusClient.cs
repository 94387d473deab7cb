using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CicdOps.Engine.Pipelines.Statuses;

/// <summary>The states a run reports: when it starts, and how it ended.</summary>
internal enum CommitState { Pending, Success, Failure, Cancelled }

/// <summary>
/// Posts one commit status the way each forge's API takes it:
/// GitHub `POST /repos/OWNER/NAME/statuses/SHA` (Authorization: Bearer), GitLab `POST /projects/PATH/statuses/SHA`
/// (PRIVATE-TOKEN, the path URL-encoded), Gitea and Forgejo `POST /repos/OWNER/NAME/statuses/SHA` (Authorization: token).
/// Redirects are not followed (the token must not travel to another host). Returns null on a 2xx answer, else one
/// line saying why, with the token masked.
/// </summary>
internal static class CommitStatusClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
    {
        Timeout = Timeout,
    };

    public static async Task<string?> PostAsync(CommitStatusTarget target, string token, string sha, CommitState state, string context,
        string description, CancellationToken ct)
    {
        using var request = Build(target, token, sha, state, context, description);
        try
        {
            using var response = await Http.SendAsync(request, ct);
            if ((int)response.StatusCode is >= 200 and < 300) return null;
            var body = await response.Content.ReadAsStringAsync(ct);
            return Masked(token, $"HTTP {(int)response.StatusCode} from {request.RequestUri!.GetLeftPart(UriPartial.Authority)}: {OneLine(body, 200)}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
        {
            return Masked(token, $"{request.RequestUri!.GetLeftPart(UriPartial.Authority)} did not answer: {OneLine(e.Message, 200)}");
        }
    }

    internal static HttpRequestMessage Build(CommitStatusTarget target, string token, string sha, CommitState state, string context, string description)
    {
        description = description.Length > 140 ? description[..139] + "…" : description;
        JsonObject body;
        string path;
        var request = new HttpRequestMessage(HttpMethod.Post, (Uri?)null);
        switch (target.Kind)
        {
            case ForgeKind.GitHub:
                path = $"/repos/{Segments(target.RepositoryPath)}/statuses/{sha}";
                body = new JsonObject { ["state"] = GitHubState(state), ["description"] = description, ["context"] = context };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
                request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
                break;
            case ForgeKind.GitLab:
                path = $"/projects/{Uri.EscapeDataString(target.RepositoryPath)}/statuses/{sha}";
                body = new JsonObject { ["state"] = GitLabState(state), ["description"] = description, ["name"] = context };
                request.Headers.Add("PRIVATE-TOKEN", token);
                break;
            default:
                path = $"/repos/{Segments(target.RepositoryPath)}/statuses/{sha}";
                body = new JsonObject { ["state"] = GitHubState(state), ["description"] = description, ["context"] = context };
                request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
                break;
        }
        request.RequestUri = new Uri(target.ApiBase.TrimEnd('/') + path);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("CicdOps", "1"));
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return request;
    }

    // GitHub and Gitea share the state names; a cancelled run is an "error" there (neither has "cancelled").
    private static string GitHubState(CommitState s) => s switch
    {
        CommitState.Pending => "pending",
        CommitState.Success => "success",
        CommitState.Failure => "failure",
        _ => "error",
    };

    private static string GitLabState(CommitState s) => s switch
    {
        CommitState.Pending => "pending",
        CommitState.Success => "success",
        CommitState.Failure => "failed",
        _ => "canceled",
    };

    private static string Segments(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static string OneLine(string text, int max)
    {
        var line = string.Join(' ', text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        return line.Length > max ? line[..max] + "…" : line;
    }

    private static string Masked(string token, string text) =>
        token.Length == 0 ? text : text.Replace(token, "***", StringComparison.Ordinal);
}
