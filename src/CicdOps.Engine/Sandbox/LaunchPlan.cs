using System.Diagnostics;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// How to start one of a project's processes: an argv prefix that switches to the project's account
/// (empty when not sandboxed) and the complete, clean environment it gets.
/// </summary>
internal sealed record LaunchPlan(IReadOnlyList<string> Prefix, IReadOnlyDictionary<string, string> Environment, ServiceAccount Account)
{
    /// <summary>
    /// What <see cref="Prefix"/> does, for a launch that drops to the account without it (Processes/ThreadLaunch: the
    /// forking thread and .NET's own setuid in the child, no setpriv exec); null when there is nothing to drop.
    /// </summary>
    public AccountDrop? Drop { get; init; }

    /// <summary>
    /// Rewrites <paramref name="psi"/> (FileName + ArgumentList as the caller built them, UseShellExecute
    /// false) so it runs through the prefix, and replaces its environment with <see cref="Environment"/>.
    /// WorkingDirectory, redirection and the rest are left as they are.
    /// </summary>
    public ProcessStartInfo Apply(ProcessStartInfo psi)
    {
        if (psi.UseShellExecute) throw new ArgumentException("UseShellExecute must be false.", nameof(psi));
        if (string.IsNullOrEmpty(psi.FileName)) throw new ArgumentException("FileName is empty.", nameof(psi));
        if (!string.IsNullOrEmpty(psi.Arguments)) throw new ArgumentException("Use ArgumentList, not Arguments.", nameof(psi));
        if (Prefix.Count > 0)
        {
            var original = psi.ArgumentList.ToArray();
            psi.ArgumentList.Clear();
            foreach (var a in Prefix.Skip(1)) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(psi.FileName);
            foreach (var a in original) psi.ArgumentList.Add(a);
            psi.FileName = Prefix[0];
        }
        psi.Environment.Clear();
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        return psi;
    }
}

/// <summary>
/// The privilege drop of a sandboxed launch: uid, gid and the account's groups, no capabilities (inheritable and ambient
/// cleared; leaving uid 0 clears the rest) and, unless sudo is allowed for install.sh, no_new_privs and an empty bounding set.
/// </summary>
internal sealed record AccountDrop(ServiceAccount Account, bool NoNewPrivs);
