using CicdOps.Engine.Model;
using CicdOps.Engine.Proxy;
using CicdOps.Engine.State;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>
    /// Puts a project behind nginx with a zero-downtime switch (see <see cref="ProjectProxy"/>); replaces its
    /// previous proxy setting. Everything is checked before anything is stored; nginx is not touched until a deploy.
    /// </summary>
    public ProjectProxy SetProxy(string project, ProxySpec spec)
    {
        var p = _ctx.Db.Read(c => ProjectStore.Get(c, Validation.Names.ProjectName(project)));
        var projects = _ctx.Db.Read(ProjectStore.All);
        var proxy = ProxySettings.Validate(p, spec, projects, ProxyStore.All(_ctx), DataPath, _ctx.Sandbox.IsSandboxed);
        ProxyStore.Save(_ctx, proxy);
        return proxy;
    }

    /// <summary>The project's proxy setting, or null (stop-then-start deploys).</summary>
    public ProjectProxy? GetProxy(string project) =>
        ProxyStore.Load(_ctx, _ctx.Db.Read(c => ProjectStore.Get(c, Validation.Names.ProjectName(project))).Name);

    /// <summary>
    /// Back to stop-then-start deploys. The upstream file stays as it is (nginx's configuration includes it); the
    /// next deploy starts the app on no port of the pair unless the project is given one.
    /// </summary>
    public ProjectProxy? ClearProxy(string project)
    {
        var proxy = GetProxy(project);
        if (proxy is not null) ProxyStore.Delete(_ctx, proxy.Project);
        return proxy;
    }

    /// <summary>Settings a proxy relies on: its project keeps releases and no port of its own, and other projects stay off its ports.</summary>
    private void CheckProxyRules(Project next)
    {
        var proxies = ProxyStore.All(_ctx);
        if (proxies.FirstOrDefault(x => x.Project == next.Name) is { } own)
        {
            if (next.KeepReleases == 0)
                throw new CicdException(CicdError.InvalidArgument, $"Project '{next.Name}' has a zero-downtime switch, which needs release directories: remove the proxy first (cicdops project proxy {next.Name} --clear / Set-CicdProjectProxy -Clear).", next.Name);
            if (next.Port is not null)
                throw new CicdException(CicdError.InvalidPort, $"Project '{next.Name}' alternates between the ports {own.FirstPort} and {own.SecondPort} behind its proxy; it takes no port of its own.", next.Port);
        }
        if (next.Port is { } port && proxies.FirstOrDefault(x => x.Project != next.Name && (x.FirstPort == port || x.SecondPort == port)) is { } taken)
            throw new CicdException(CicdError.InvalidPort, $"Port {port} is already one of the proxy ports of project '{taken.Project}'.", port,
                "Choose another port with -Port / --port; two apps cannot serve on one port.");
    }
}
