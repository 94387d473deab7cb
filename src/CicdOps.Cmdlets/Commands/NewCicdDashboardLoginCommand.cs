using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// New-CicdDashboardLogin: a one-time sign-in link for the web dashboard (`Start-CicdListener -Dashboard`), valid 15
/// minutes (or -ValidFor, at most that). Opening it starts a session with -Role; only a hash of the link is stored.
/// </summary>
[Cmdlet(VerbsCommon.New, "CicdDashboardLogin", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(DashboardLogin))]
public sealed class NewCicdDashboardLoginCommand : CicdCmdlet
{
    [Parameter(Position = 0)]
    public DashboardRole Role { get; set; } = DashboardRole.Viewer;

    /// <summary>The dashboard's address as the browser reaches it (default http://localhost:9641).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string BaseUrl { get; set; } = "http://localhost:9641";

    /// <summary>How long the link works (at most 15 minutes).</summary>
    [Parameter]
    public TimeSpan? ValidFor { get; set; }

    protected override void ProcessRecord()
    {
        var url = BaseUrl.TrimEnd('/');
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https") || u.PathAndQuery != "/")
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-BaseUrl must be http(s)://HOST[:PORT], not '{BaseUrl}'."),
                "CicdInvalidArgument", ErrorCategory.InvalidArgument, BaseUrl));
        if (ValidFor is { } v && (v <= TimeSpan.Zero || v > TimeSpan.FromMinutes(15)))
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-ValidFor must be more than zero and at most 15 minutes."),
                "CicdInvalidArgument", ErrorCategory.InvalidArgument, ValidFor));
        if (!ShouldProcess($"a {Role} session", "Create a one-time dashboard sign-in link")) return;
        TryInvoke(() =>
        {
            var login = Engine.CreateDashboardLogin(Role, ValidFor);
            WriteObject(login with { Url = url + login.Path });
        });
    }
}
