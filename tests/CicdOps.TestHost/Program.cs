using CicdOps;
using CicdOps.Engine;
using CicdOps.Engine.Model;

// Test helper, public engine API only:
//   run-queue DATA PROJECT [SUDOERS]       drain the project's queue in this process (killed by crash tests)
//   register-deploy DATA NAME REPO PATH    register and deploy once, printing the sandbox warning and the outcome
if (args.Length < 3) { Console.Error.WriteLine("usage: run-queue DATA PROJECT | register-deploy DATA NAME REPO PATH"); return 2; }
using var engine = CicdEngine.Open(new EngineOptions
{
    DataPath = args[1], SettlePeriod = TimeSpan.FromMilliseconds(300), SudoersDirectory = args[0] == "run-queue" && args.Length > 3 ? args[3] : null,
});
switch (args[0])
{
    case "run-queue":
        engine.RunQueue(args[2], CancellationToken.None);
        return 0;
    case "register-deploy" when args.Length == 5:
        if (engine.NotSandboxedReason is { } warning) Console.WriteLine("WARNING: " + warning);
        engine.RegisterProject(new ProjectSpec { Name = args[2], Repository = args[3], Path = args[4], HealthTimeout = TimeSpan.FromSeconds(10) });
        var d = engine.RequestDeployment(new DeploymentRequest { Project = args[2] });
        d = engine.WaitForDeploymentAsync(d.Id, null, CancellationToken.None).GetAwaiter().GetResult();
        Console.WriteLine($"STATUS {d.Status} {d.Reason}");
        Console.WriteLine($"SANDBOXED {engine.GetProject(args[2]).Sandboxed}");
        Console.WriteLine($"TRACKING {engine.ProcessTrackingMechanism}");
        engine.UnregisterProject(args[2]);
        return d.Status == DeploymentStatus.Succeeded ? 0 : 1;
    default:
        Console.Error.WriteLine("unknown command");
        return 2;
}
