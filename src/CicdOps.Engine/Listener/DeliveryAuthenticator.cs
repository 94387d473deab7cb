using CicdOps.Engine.Model;
using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine.Listener;

/// <summary>
/// Decides which matched projects a delivery is authentic for: each project is checked against its own secret, or
/// the global one for the delivery's provider (the GitLab token for GitLab, the webhook secret for the others). A
/// project without any secret accepts unsigned deliveries only when the listener was started with AllowUnsigned.
/// </summary>
internal sealed class DeliveryAuthenticator(ListenerOptions options)
{
    public sealed record Result(bool Accepted, SignatureResult Signature, IReadOnlyList<Project> Authentic, IReadOnlyList<Project> Rejected);

    /// <summary>The global secret that applies to deliveries of <paramref name="provider"/>.</summary>
    public byte[]? GlobalSecret(WebhookProvider provider) => provider == WebhookProvider.GitLab ? options.GitLabToken : options.Secret;

    private byte[]? SecretOf(Project p, WebhookProvider provider) =>
        options.ProjectSecret?.Invoke(p.Name) is { Length: > 0 } own ? own : GlobalSecret(provider);

    /// <summary>The verdict for the secret of <paramref name="only"/> (a delivery addressed by URL), or the global one.</summary>
    public SignatureResult VerifyFor(WebhookHeaders headers, ReadOnlySpan<byte> body, Project? only) =>
        SignatureVerifier.Verify(headers.Provider, headers.Signature, body, only is null ? GlobalSecret(headers.Provider) : SecretOf(only, headers.Provider));

    public bool IsAccepted(SignatureResult r) => r == SignatureResult.Valid || (r == SignatureResult.Unsigned && options.AcceptsUnsigned);

    /// <param name="only">The project named in the URL (/webhook/NAME): its secret decides, whatever the payload says.</param>
    public Result Authenticate(WebhookHeaders headers, ReadOnlySpan<byte> body, IReadOnlyList<Project> matched, Project? only = null)
    {
        if (matched.Count == 0)
        {
            // No project to deploy: still only acknowledge what the addressed project's or the global secret vouches for.
            var r = VerifyFor(headers, body, only);
            return new Result(IsAccepted(r), r, matched, matched);
        }

        // Projects sharing a secret (usually all of them: the global one) are verified once.
        var verdicts = new Dictionary<byte[], SignatureResult>(ReferenceEqualityComparer.Instance);
        SignatureResult? unsignedVerdict = null;
        var results = new SignatureResult[matched.Count];
        var accepted = 0;
        var anyValid = false;
        for (var i = 0; i < matched.Count; i++)
        {
            var secret = SecretOf(matched[i], headers.Provider);
            SignatureResult r;
            if (secret is null || secret.Length == 0) r = unsignedVerdict ??= SignatureResult.Unsigned;
            else if (!verdicts.TryGetValue(secret, out r))
                verdicts[secret] = r = SignatureVerifier.Verify(headers.Provider, headers.Signature, body, secret);
            results[i] = r;
            if (IsAccepted(r)) accepted++;
            anyValid |= r == SignatureResult.Valid;
        }
        // The usual case (every project authentic) hands the matched list on as it is.
        if (accepted == matched.Count)
            return new Result(true, anyValid ? SignatureResult.Valid : SignatureResult.Unsigned, matched, Array.Empty<Project>());

        var authentic = new List<Project>(accepted);
        var rejected = new List<Project>(matched.Count - accepted);
        SignatureResult? firstFailure = null;
        for (var i = 0; i < matched.Count; i++)
        {
            if (IsAccepted(results[i])) authentic.Add(matched[i]);
            else { rejected.Add(matched[i]); firstFailure ??= results[i]; }
        }
        var overall = anyValid ? SignatureResult.Valid : authentic.Count > 0 ? SignatureResult.Unsigned : firstFailure!.Value;
        // Accepted only when something vouched for the sender: a valid signature, or unsigned where that is allowed.
        return new Result(authentic.Count > 0, overall, authentic, rejected);
    }
}
