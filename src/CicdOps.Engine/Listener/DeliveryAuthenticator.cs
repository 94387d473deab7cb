using CicdOps.Engine.Model;
using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine.Listener;

/// <summary>
/// Decides which matched projects a delivery is authentic for: each project is checked against its own
/// secret, or the global one. A project without any secret accepts unsigned deliveries only when the
/// listener allows unsigned ones (loopback or explicit opt-in).
/// </summary>
internal sealed class DeliveryAuthenticator(ListenerOptions options)
{
    public sealed record Result(bool Accepted, SignatureResult Signature, IReadOnlyList<Project> Authentic, IReadOnlyList<Project> Rejected);

    public Result Authenticate(WebhookHeaders headers, ReadOnlySpan<byte> body, IReadOnlyList<Project> matched)
    {
        if (matched.Count == 0)
        {
            // No project to deploy: still only acknowledge what the global secret vouches for.
            var r = SignatureVerifier.Verify(headers.Provider, headers.Signature, body, options.Secret);
            return new Result(Ok(r), r, matched, matched);
        }

        // Projects sharing a secret (usually all of them: the global one) are verified once.
        var verdicts = new Dictionary<byte[], SignatureResult>(ReferenceEqualityComparer.Instance);
        SignatureResult? unsignedVerdict = null;
        var results = new SignatureResult[matched.Count];
        var accepted = 0;
        var anyValid = false;
        for (var i = 0; i < matched.Count; i++)
        {
            var secret = options.ProjectSecret?.Invoke(matched[i].Name) is { Length: > 0 } own ? own : options.Secret;
            SignatureResult r;
            if (secret is null || secret.Length == 0) r = unsignedVerdict ??= SignatureResult.Unsigned;
            else if (!verdicts.TryGetValue(secret, out r))
                verdicts[secret] = r = SignatureVerifier.Verify(headers.Provider, headers.Signature, body, secret);
            results[i] = r;
            if (Ok(r)) accepted++;
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
            if (Ok(results[i])) authentic.Add(matched[i]);
            else { rejected.Add(matched[i]); firstFailure ??= results[i]; }
        }
        var overall = anyValid ? SignatureResult.Valid : authentic.Count > 0 ? SignatureResult.Unsigned : firstFailure!.Value;
        return new Result(authentic.Count > 0, overall, authentic, rejected);
    }

    private bool Ok(SignatureResult r) => r == SignatureResult.Valid || (r == SignatureResult.Unsigned && options.AcceptsUnsigned);
}
