using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdNotificationChannel: channels with their filters and whether they deliver (wildcards allowed); never their secrets.</summary>
[Cmdlet(VerbsCommon.Get, "CicdNotificationChannel")]
[OutputType(typeof(NotificationChannel))]
public sealed class GetCicdNotificationChannelCommand : CicdCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ChannelNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        TryInvoke(() =>
        {
            var all = Engine.GetNotificationChannels();
            if (Name is null) { WriteObject(all, enumerateCollection: true); return; }
            foreach (var name in Name)
            {
                if (WildcardPattern.ContainsWildcardCharacters(name))
                {
                    var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                    WriteObject(all.Where(c => pattern.IsMatch(c.Name)), enumerateCollection: true);
                    continue;
                }
                try { WriteObject(Engine.GetNotificationChannel(name)); }
                catch (CicdException e) { WriteCicdError(e); }
            }
        });
    }
}
