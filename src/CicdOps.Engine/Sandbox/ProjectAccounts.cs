using CicdOps.Engine.State;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// The account a project's work runs as (a deploy, a pipeline run). Sandboxed and without one yet, a dedicated
/// account is made now and recorded, so registrations that never run anything leave no accounts behind.
/// </summary>
internal static class ProjectAccounts
{
    /// <summary>The account, and the project as recorded afterwards (with its service user when one was made).</summary>
    public static (ServiceAccount Account, Project Project, bool Created) ForRun(EngineContext ctx, Project p)
    {
        if (!ctx.Sandbox.IsSandboxed || p.ServiceUser is not null) return (ctx.Sandbox.ResolveAccount(p.ServiceUser), p, false);
        var created = ctx.Sandbox.EnsureAccount(p.Name, null);
        var recorded = ctx.Db.Write(c => ProjectStore.ClaimServiceUser(c, p.Name, created.Name));
        if (recorded != created.Name)
        {
            // The project went away (or got an account) meanwhile: the new account is nobody's.
            try { ctx.Sandbox.RemoveAccount(created.Name); } catch (CicdException) { }
            if (recorded is null) throw new CicdException(CicdError.ProjectNotFound, $"Project '{p.Name}' was removed.", p.Name);
            return (ctx.Sandbox.ResolveAccount(recorded), p with { ServiceUser = recorded }, false);
        }
        return (created, p with { ServiceUser = created.Name }, true);
    }
}
