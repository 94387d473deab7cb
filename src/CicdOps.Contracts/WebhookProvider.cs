namespace CicdOps;

/// <summary>The Git hosts whose webhooks the listener understands.</summary>
public enum WebhookProvider { GitHub, GitLab, Gitea, Forgejo, Bitbucket }
