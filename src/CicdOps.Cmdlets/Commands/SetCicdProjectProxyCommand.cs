using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Set-CicdProjectProxy: puts a project behind nginx (an upstream file CicdOps owns) or Caddy (its admin API) with a
/// zero-downtime switch between two ports; -Clear goes back to stop-then-start deploys.
/// </summary>
[Cmdlet(VerbsCommon.Set, "CicdProjectProxy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NginxSet)]
[OutputType(typeof(ProjectProxy))]
public sealed class SetCicdProjectProxyCommand : CicdCmdlet
{
    private const string NginxSet = "Nginx";
    private const string CaddySet = "Caddy";

    /// <summary>Project names; from the pipeline, a Project's Name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[] Name { get; set; } = null!;

    /// <summary>Two ports the app alternates between; $PORT is the idle one at each deploy.</summary>
    [Parameter(ParameterSetName = NginxSet, Mandatory = true)]
    [Parameter(ParameterSetName = CaddySet, Mandatory = true)]
    [ValidateCount(2, 2)]
    public int[] Ports { get; set; } = null!;

    /// <summary>The nginx upstream include file CicdOps owns and rewrites at each switch.</summary>
    [Parameter(ParameterSetName = NginxSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string UpstreamFile { get; set; } = null!;

    /// <summary>Caddy instead of nginx: its admin API, loopback only (e.g. http://127.0.0.1:2019).</summary>
    [Parameter(ParameterSetName = CaddySet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string CaddyAdmin { get; set; } = null!;

    /// <summary>The "@id" of Caddy's reverse_proxy handler whose upstreams are switched.</summary>
    [Parameter(ParameterSetName = CaddySet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string CaddyRoute { get; set; } = null!;

    /// <summary>How long the old app keeps running after the switch (default 5 seconds).</summary>
    [Parameter(ParameterSetName = NginxSet)]
    [Parameter(ParameterSetName = CaddySet)]
    public TimeSpan? DrainPeriod { get; set; }

    /// <summary>The nginx program run for -t and -s reload (default /usr/sbin/nginx).</summary>
    [Parameter(ParameterSetName = NginxSet)]
    [ValidateNotNullOrEmpty]
    public string? NginxPath { get; set; }

    /// <summary>nginx's main configuration, passed as -c (default: nginx's own).</summary>
    [Parameter(ParameterSetName = NginxSet)]
    [ValidateNotNullOrEmpty]
    public string? NginxConfig { get; set; }

    /// <summary>Allow -Ports below 1024.</summary>
    [Parameter(ParameterSetName = NginxSet)]
    [Parameter(ParameterSetName = CaddySet)]
    public SwitchParameter AllowPrivilegedPort { get; set; }

    /// <summary>Remove the proxy: deploys stop the old app, then start the new one.</summary>
    [Parameter(ParameterSetName = ParameterSets.Clear, Mandatory = true)]
    public SwitchParameter Clear { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (Clear)
            {
                if (ShouldProcess(name, "Remove the zero-downtime switch")) TryInvoke(() => Engine.ClearProxy(name));
                continue;
            }
            var caddy = ParameterSetName == CaddySet;
            var through = caddy ? $"Caddy ({CaddyAdmin}, route {CaddyRoute})" : $"nginx ({UpstreamFile})";
            if (!ShouldProcess(name, $"Switch through {through} between ports {string.Join(" and ", Ports)}")) continue;
            TryInvoke(() =>
            {
                var proxy = Engine.SetProxy(name, caddy
                    ? new ProxySpec { Ports = Ports, CaddyAdmin = CaddyAdmin, CaddyRoute = CaddyRoute, DrainPeriod = DrainPeriod, AllowPrivilegedPort = AllowPrivilegedPort }
                    : new ProxySpec
                    {
                        Ports = Ports, UpstreamFile = UpstreamFile, DrainPeriod = DrainPeriod, Nginx = NginxPath, NginxConfig = NginxConfig,
                        AllowPrivilegedPort = AllowPrivilegedPort,
                    });
                if (PassThru) WriteObject(proxy);
            });
        }
    }
}
