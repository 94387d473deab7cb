using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// New-CicdApiToken: creates a bearer token for the listener's /api endpoints. Its value is in the returned object's
/// Token property and nowhere else: only a hash is stored.
/// </summary>
[Cmdlet(VerbsCommon.New, "CicdApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(NewApiToken))]
public sealed class NewCicdApiTokenCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public ApiTokenScope Scope { get; set; }

    /// <summary>A name to find and revoke it by (default: token-ID).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>When it stops working (default: never).</summary>
    [Parameter]
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>How long it works from now (instead of -ExpiresAt).</summary>
    [Parameter]
    public TimeSpan? ValidFor { get; set; }

    protected override void ProcessRecord()
    {
        if (ExpiresAt is not null && ValidFor is not null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give -ExpiresAt or -ValidFor, not both."), "CicdInvalidArgument", ErrorCategory.InvalidArgument, null));
            return;
        }
        if (!ShouldProcess(Name ?? "a new token", $"Create API token with scope {Scope}")) return;
        var until = ValidFor is { } span ? DateTimeOffset.UtcNow + span : ExpiresAt;
        TryInvoke(() => WriteObject(Engine.CreateApiToken(Scope, Name, until)));
    }
}
