using System.Management.Automation;
using System.Security;
using CicdOps.Engine.Notifications;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>Builds the engine's channel spec from cmdlet parameters; secrets leave their SecureString only for the one call.</summary>
internal static class NotificationSpecs
{
    public static NotificationChannelSpec Build(NotificationChannelType? type, string? url, SecureString? signingSecret, NotificationEventKind[]? events,
        string[]? projects, TimeSpan? minInterval, string? from, string[]? to, PSCredential? credential, SmtpSecurity? security, string? caFile) => new()
    {
        Type = type,
        Url = url,
        SigningSecret = signingSecret is null ? null : SecretValues.WithChars(signingSecret, chars => new string(chars)),
        Events = events,
        Projects = projects,
        MinInterval = minInterval,
        From = from,
        To = to,
        SmtpUser = credential?.UserName,
        SmtpPassword = credential is null ? null : SecretValues.WithChars(credential.Password, chars => new string(chars)),
        SmtpSecurity = security,
        CaFile = caFile,
    };
}
