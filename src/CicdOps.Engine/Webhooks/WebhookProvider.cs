namespace CicdOps.Engine.Webhooks;


public static class WebhookProviderNames
{
    /// <summary>The lower-case name stored in the database and shown to users.</summary>
    public static string ToName(this WebhookProvider p) => p switch
    {
        WebhookProvider.GitHub => "github",
        WebhookProvider.GitLab => "gitlab",
        WebhookProvider.Gitea => "gitea",
        WebhookProvider.Forgejo => "forgejo",
        WebhookProvider.Bitbucket => "bitbucket",
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };
}
