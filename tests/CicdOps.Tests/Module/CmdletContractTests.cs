using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>The conventions PowerShell users rely on, checked on the built cmdlet assembly's metadata.</summary>
public sealed class CmdletContractTests
{
    // Get-Verb in PowerShell 7.4 (all groups). Hard-coded: there is no pwsh here to ask.
    private static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open",
        "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip", "Split",
        "Step", "Switch", "Undo", "Unlock", "Watch",
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand", "Export",
        "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync", "Unpublish", "Update",
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke", "Register",
        "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
        "Use",
    };

    private static readonly string[] HighImpact = { "Unregister-CicdProject", "Invoke-CicdRollback", "Invoke-CicdFleetRollback" };

    public static IEnumerable<object[]> Cmdlets() => CmdletCatalog.Names();

    [Fact]
    public void The_module_has_the_cmdlets_of_the_issues()
    {
        Assert.Equal(
            new[] { "Add-CicdNotificationChannel", "Backup-CicdState", "Connect-CicdFleet", "Disconnect-CicdFleet", "Get-CicdApiToken", "Get-CicdArtifact",
                "Get-CicdDashboardSession", "Get-CicdDeployment", "Get-CicdDeploymentLog", "Get-CicdEvent", "Get-CicdFleet", "Get-CicdFleetRollout",
                "Get-CicdNotification", "Get-CicdNotificationChannel", "Get-CicdPipelineRun", "Get-CicdPipelineRunLog", "Get-CicdProject", "Get-CicdProjectProxy",
                "Get-CicdRelease", "Get-CicdSecret", "Get-CicdWebhookDelivery", "Install-CicdListenerService", "Invoke-CicdFleetRollback", "Invoke-CicdRollback",
                "New-CicdApiToken", "New-CicdDashboardLogin", "Register-CicdProject", "Remove-CicdNotificationChannel", "Remove-CicdSecret", "Revoke-CicdApiToken",
                "Revoke-CicdDashboardSession", "Set-CicdFleetPin", "Set-CicdNotificationChannel", "Set-CicdPin", "Set-CicdProject", "Set-CicdProjectProxy",
                "Set-CicdSecret", "Start-CicdDeployment", "Start-CicdFleetDeployment", "Start-CicdListener", "Start-CicdPipeline", "Stop-CicdDeployment",
                "Stop-CicdPipelineRun", "Test-CicdNotificationChannel", "Test-CicdPipeline", "Unregister-CicdProject", "Watch-CicdFleet" },
            CmdletCatalog.Cmdlets.Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Verb_is_approved_and_noun_is_prefixed(string name)
    {
        var c = CmdletCatalog.Get(name);
        Assert.Contains(c.Verb, ApprovedVerbs);
        Assert.StartsWith("Cicd", c.Noun, StringComparison.Ordinal);
        Assert.Equal(c.Verb + c.Noun + "Command", c.Class.Name);
        Assert.True(c.Class.IsSealed, $"{c.Class.Name} should be sealed");
        Assert.Equal("CicdOps.Cmdlets.Infrastructure.CicdCmdlet", c.Class.BaseType!.FullName);
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Cmdlets_that_change_state_support_ShouldProcess(string name)
    {
        var c = CmdletCatalog.Get(name);
        // Get, Test and Watch only read (Test-CicdPipeline reads a file and changes nothing).
        Assert.Equal(c.Verb is not ("Get" or "Test" or "Watch"), c.SupportsShouldProcess);
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Only_unregister_and_rollback_have_high_confirm_impact(string name)
    {
        var c = CmdletCatalog.Get(name);
        Assert.Equal(HighImpact.Contains(name), c.ConfirmImpact == CmdletDefinition.ConfirmImpactHigh);
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Output_type_is_declared(string name) => Assert.NotEmpty(CmdletCatalog.Get(name).OutputTypes);

    [Theory, MemberData(nameof(Cmdlets))]
    public void Only_the_foreground_listener_outputs_nothing(string name)
    {
        // Start-CicdListener runs until Ctrl+C, when the pipeline can no longer be written to: it declares
        // [OutputType([void])] and reports through the information stream instead.
        var outputs = CmdletCatalog.Get(name).OutputTypes;
        if (name == "Start-CicdListener") Assert.Equal(new[] { "System.Void" }, outputs);
        else Assert.DoesNotContain("System.Void", outputs);
    }

    [Fact]
    public void The_webhook_secret_is_a_SecureString_never_a_plain_string()
    {
        var c = CmdletCatalog.Get("Start-CicdListener");
        Assert.Equal("System.Security.SecureString", c.Parameters.Single(p => p.Name == "WebhookSecret").Type.FullName);
        Assert.Equal("System.String", c.Parameters.Single(p => p.Name == "WebhookSecretFile").Type.FullName);
        // The secret and its file exclude each other; neither is the default (the environment variable is).
        Assert.Equal("Secret", c.DefaultParameterSetName);
        Assert.False(c.Parameters.Single(p => p.Name == "WebhookSecret").Sets.Single().Mandatory);
        Assert.Equal("SecretFile", c.Parameters.Single(p => p.Name == "WebhookSecretFile").Sets.Single().Name);
        Assert.DoesNotContain(CmdletCatalog.Cmdlets.SelectMany(x => x.Parameters),
            p => p.Name.Contains("Secret", StringComparison.Ordinal) && !p.Name.EndsWith("File", StringComparison.Ordinal) && p.Type.FullName == "System.String");
    }

    private static readonly string[] SecretCmdlets = { "Set-CicdSecret", "Get-CicdSecret", "Remove-CicdSecret" };

    [Fact]
    public void A_secret_value_is_a_mandatory_SecureString_and_no_secret_valued_parameter_is_a_plain_string()
    {
        var value = CmdletCatalog.Get("Set-CicdSecret").Parameters.Single(p => p.Name == "Value");
        Assert.Equal("System.Security.SecureString", value.Type.FullName);
        Assert.All(value.Sets, s => Assert.True(s.Mandatory, "-Value should be mandatory, so PowerShell prompts for it masked"));
        Assert.All(value.Sets, s => Assert.False(s.ByValue || s.ByPropertyName, "-Value should not bind from the pipeline"));
        // Anything that could carry a secret's value: no plain string or string array, in any cmdlet.
        var valued = new[] { "Value", "Password", "Token", "Key", "Credential", "Plain", "Secret" };
        Assert.DoesNotContain(CmdletCatalog.Cmdlets.SelectMany(c => c.Parameters.Select(p => (Cmdlet: c.Name, p))),
            x => valued.Any(v => x.p.Name.Contains(v, StringComparison.OrdinalIgnoreCase)) && !x.p.Name.EndsWith("File", StringComparison.Ordinal)
                 && x.p.Type.FullName is "System.String" or "System.String[]" or "System.Object" or "System.Object[]");
    }

    [Theory]
    [InlineData("Remove-CicdSecret")]
    [InlineData("Set-CicdSecret")]
    public void Secret_info_from_Get_CicdSecret_binds_to_the_secret_cmdlets(string name)
    {
        // `Get-CicdSecret -Project app | Remove-CicdSecret`: every mandatory parameter except -Value must bind by
        // property name from a SecretInfo property, so nothing is left to prompt for and Project and Name stay paired.
        var output = CmdletCatalog.Get("Get-CicdSecret").OutputTypes.Single();
        Assert.Equal("CicdOps.SecretInfo", output);
        var info = CmdletCatalog.LoadedAssembly("CicdOps.Contracts").GetType(output, throwOnError: true)!;
        var properties = info.GetProperties().Select(p => p.Name).ToHashSet();
        Assert.DoesNotContain("Value", properties);
        var c = CmdletCatalog.Get(name);
        foreach (var set in c.ParameterSets)
        {
            var mandatory = c.Parameters.Where(p => p.Sets.Any(s => s.AppliesTo(set) && s.Mandatory) && p.Name != "Value").ToList();
            Assert.Equal(new[] { "Name", "Project" }, mandatory.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
            foreach (var p in mandatory)
            {
                Assert.Contains(p.Name, properties);
                Assert.True(p.Sets.Where(s => s.AppliesTo(set)).All(s => s.ByPropertyName), $"{name} -{p.Name} should bind by property name");
                Assert.True(p.Type.FullName is "System.String" or "System.String[]", $"{name} -{p.Name} should take the string SecretInfo.{p.Name} is");
            }
            Assert.DoesNotContain(c.Parameters, p => p.Sets.Any(s => s.AppliesTo(set) && s.ByValue));
        }
    }

    [Fact]
    public void Removing_the_service_user_is_an_opt_in_switch()
    {
        var p = CmdletCatalog.Get("Unregister-CicdProject").Parameters.Single(p => p.Name == "RemoveServiceUser");
        Assert.Equal("System.Management.Automation.SwitchParameter", p.Type.FullName);
        Assert.All(p.Sets, s => Assert.False(s.Mandatory));
    }

    [Fact]
    public void Listener_cmdlets_default_to_the_engine_port_and_every_interface()
    {
        foreach (var name in new[] { "Start-CicdListener", "Install-CicdListenerService" })
        {
            var c = CmdletCatalog.Get(name);
            Assert.Equal("System.Int32", c.Parameters.Single(p => p.Name == "Port").Type.FullName);
            Assert.Equal("System.String", c.Parameters.Single(p => p.Name == "BindAddress").Type.FullName);
        }
        var grace = CmdletCatalog.Get("Start-CicdListener").Parameters.Single(p => p.Name == "ShutdownGrace").Type;
        Assert.True(grace.IsGenericType, "-ShutdownGrace should be optional (TimeSpan?), so the engine's default applies");
        Assert.Equal("System.TimeSpan", grace.GetGenericArguments()[0].FullName);
        Assert.Equal("System.Management.Automation.SwitchParameter",
            CmdletCatalog.Get("Start-CicdListener").Parameters.Single(p => p.Name == "AllowUnsigned").Type.FullName);
    }

    [Fact]
    public void Webhook_deliveries_filter_by_a_provider_enum()
    {
        var provider = CmdletCatalog.Get("Get-CicdWebhookDelivery").Parameters.Single(p => p.Name == "Provider").Type;
        var enumType = provider.IsGenericType ? provider.GetGenericArguments()[0] : provider;
        Assert.Equal("CicdOps.WebhookProvider", enumType.FullName);
        Assert.Contains("GitHub", enumType.GetEnumNames());
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Parameter_sets_resolve(string name)
    {
        var c = CmdletCatalog.Get(name);
        var sets = c.ParameterSets;
        if (sets.Count > 1) Assert.NotNull(c.DefaultParameterSetName);
        if (c.DefaultParameterSetName is { } def) Assert.Contains(def, sets);
        foreach (var set in sets)
        {
            var members = c.Parameters.Select(p => (p.Name, Set: p.Sets.FirstOrDefault(s => s.AppliesTo(set)))).Where(x => x.Set is not null).ToList();
            Assert.True(members.Count(m => m.Set!.ByValue) <= 1, $"{name}/{set}: more than one ValueFromPipeline parameter");
            var positions = members.Where(m => m.Set!.Position is not null).GroupBy(m => m.Set!.Position).Where(g => g.Count() > 1).ToList();
            Assert.True(positions.Count == 0, $"{name}/{set}: several parameters at position {positions.FirstOrDefault()?.Key}");
        }
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Every_cmdlet_takes_DataPath(string name) =>
        Assert.Contains(CmdletCatalog.Get(name).Parameters, p => p.Name == "DataPath" && p.Type.FullName == "System.String");

    [Theory, MemberData(nameof(Cmdlets))]
    public void Pipeline_parameters_are_project_names_or_typed_objects(string name)
    {
        var c = CmdletCatalog.Get(name);
        foreach (var p in c.Parameters.Where(p => p.Sets.Any(s => s.ByValue)))
        {
            if (p.Name == "Name")
            {
                Assert.Equal("System.String[]", p.Type.FullName);
                continue;
            }
            Assert.Equal("InputObject", p.Name);
            Assert.True(p.Type.IsArray, $"{name} -InputObject should take an array");
            // A type users can name: it lives in the contracts assembly, in pwsh's default load context.
            Assert.Equal("CicdOps.Contracts", p.Type.GetElementType()!.Assembly.GetName().Name);
        }
    }

    [Theory, MemberData(nameof(Cmdlets))]
    public void Existing_projects_and_commits_tab_complete(string name)
    {
        var c = CmdletCatalog.Get(name);
        foreach (var p in c.Parameters)
        {
            // Register-CicdProject's, New-CicdApiToken's and Add-CicdNotificationChannel's -Name is a new name: nothing to
            // complete. A secret cmdlet's -Name is a secret of -Project, a token cmdlet's a token, a channel cmdlet's a channel.
            if (p.Name == "Name" && name is not ("Register-CicdProject" or "New-CicdApiToken" or "Add-CicdNotificationChannel"))
                Assert.Equal(SecretCmdlets.Contains(name) ? "CicdOps.Cmdlets.Completion.SecretNameCompleter"
                    : name.EndsWith("-CicdApiToken", StringComparison.Ordinal) ? "CicdOps.Cmdlets.Completion.ApiTokenNameCompleter"
                    : name.EndsWith("-CicdNotificationChannel", StringComparison.Ordinal) ? "CicdOps.Cmdlets.Completion.ChannelNameCompleter"
                    : "CicdOps.Cmdlets.Completion.ProjectNameCompleter", p.Completer);
            if (p.Name == "Channel")
                Assert.Equal("CicdOps.Cmdlets.Completion.ChannelNameCompleter", p.Completer);
            if (p.Name == "Project")
                Assert.Equal("CicdOps.Cmdlets.Completion.ProjectNameCompleter", p.Completer);
            if (p.Name == "Commit")
                Assert.Equal("CicdOps.Cmdlets.Completion.CommitCompleter", p.Completer);
        }
    }

    /// <summary>Only the cmdlets the rule is about: iterating all of them asserted nothing for most.</summary>
    public static IEnumerable<object[]> RegisterAndSetCmdlets() =>
        CmdletCatalog.Cmdlets.Where(c => c.Verb is "Register" or "Set").Select(c => new object[] { c.Name });

    [Theory, MemberData(nameof(RegisterAndSetCmdlets))]
    public void Register_and_Set_cmdlets_have_PassThru(string name) =>
        Assert.Contains(CmdletCatalog.Get(name).Parameters, p => p.Name == "PassThru");

    [Fact]
    public void Long_running_cmdlets_share_the_cancellable_base()
    {
        // StopProcessing must cancel the token: the base class overrides it, and no cmdlet overrides it away.
        var baseType = CmdletCatalog.Cmdlets[0].Class.BaseType!;
        var declared = baseType.GetMethods(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly)
            .Select(m => m.Name).ToHashSet();
        Assert.Contains("BeginProcessing", declared);
        Assert.Contains("StopProcessing", declared);
        Assert.Contains("EndProcessing", declared);
        foreach (var c in CmdletCatalog.Cmdlets)
            Assert.DoesNotContain(c.Class.GetMethods(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly),
                m => m.Name is "StopProcessing" or "BeginProcessing");
    }

    [Fact]
    public void The_assembly_hooks_import_and_removal()
    {
        var lifetime = CmdletCatalog.LoadedAssembly("CicdOps.Cmdlets").GetTypes()
            .Where(t => t.GetInterfaces().Any(i => i.FullName == "System.Management.Automation.IModuleAssemblyInitializer"))
            .ToList();
        var type = Assert.Single(lifetime);
        Assert.Contains(type.GetInterfaces(), i => i.FullName == "System.Management.Automation.IModuleAssemblyCleanup");
    }
}
