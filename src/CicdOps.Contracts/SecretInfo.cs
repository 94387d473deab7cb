namespace CicdOps;

/// <summary>What may be shown about a secret: its name and when it was last set. Never its value.</summary>
public sealed record SecretInfo(string Project, string Name, DateTimeOffset UpdatedAt);
