using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Isolation;

/// <summary>
/// Import-Module / Remove-Module hooks: route CicdOps.Engine into its own load context on import;
/// stop what the session started and unhook on removal. Must not touch engine types before the hook exists.
/// </summary>
public sealed class ModuleLifetime : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport()
    {
        var moduleDirectory = Path.GetDirectoryName(typeof(ModuleLifetime).Assembly.Location)!;
        EngineAssemblyResolver.Register(moduleDirectory);
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        ModuleCleanup.RunAll();
        EngineAssemblyResolver.Unregister();
    }
}
