using System.Globalization;
using CicdOps.Engine.Deploy;
using CicdOps.Engine.Processes;
using CicdOps.Engine.Secrets;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Monitoring;

/// <summary>
/// The watchdog's periodic check of a running app: health.sh as the project's account, in the serving app's directory,
/// with the same variables and secrets a deployment gives it, in its own unit (whatever it leaves running is stopped).
/// Without health.sh, a project with a port must have something listening on it (the deploy's own rule).
/// </summary>
internal static class HealthProbe
{
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(2);

    /// <returns>Null when healthy, otherwise why not (masked, one line).</returns>
    public static async Task<string?> CheckAsync(EngineContext ctx, MonitoredProject m, CancellationToken ct)
    {
        if (m.Serving is not { HasHealth: true } serving)
            return m.Port is { } port && !PortOwners.IsListening(port) ? $"nothing listens on port {port}" : null;

        var p = ctx.Db.Read(c => ProjectStore.Get(c, m.Name));
        var account = ctx.Sandbox.ResolveAccount(p.ServiceUser);
        var secrets = ctx.Secrets.Load(p.Name);
        var masker = EngineSecrets.MaskerFor(secrets);
        var env = new Dictionary<string, string>
        {
            ["CICD_PROJECT"] = p.Name,
            ["CICD_COMMIT"] = m.Commit ?? "",
            ["CICD_BRANCH"] = p.Branch,
            ["CICD_WATCHDOG"] = "1",
        };
        if (p.Port is { } pt) env["PORT"] = pt.ToString(CultureInfo.InvariantCulture);
        var spec = new LaunchSpec(new[] { "bash", ScriptNames.Health }, ctx.Sandbox.PlanLaunch(account, env, secrets));
        var unit = AppUnits.Check(p.Name);
        var psi = ProcessLaunch.Create(spec, serving.Directory, ctx.Tracker.JoinPrefix(unit));
        var tail = new Queue<string>();
        int? group = null;
        ScriptResult r;
        try
        {
            r = await ScriptRunner.RunAsync(psi, p.HealthTimeout, line =>
            {
                lock (tail) { tail.Enqueue(line); if (tail.Count > 3) tail.Dequeue(); }
            }, pgid => group = pgid, ct);
        }
        finally
        {
            var own = new ProjectProcesses(ctx.Tracker, p.Name, account.Uid, ctx.Sandbox.IsSandboxed);
            await own.StopUnitAsync(unit, group, KillGrace);
            ctx.Tracker.Remove(unit);
        }
        if (r.Succeeded || r.Cancelled) return null;
        string said;
        lock (tail) said = string.Join(" | ", tail.Select(l => l.Trim()).Where(l => l.Length > 0));
        var reason = r.Describe("health.sh") + (said.Length > 0 ? ": " + said : "");
        reason = masker.Mask(reason);
        return reason.Length > 300 ? reason[..297] + "..." : reason;
    }
}
