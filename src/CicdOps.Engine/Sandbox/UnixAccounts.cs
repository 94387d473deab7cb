using System.Runtime.Versioning;
using System.Text.RegularExpressions;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Looks up, creates and removes service accounts with the shadow-utils tools (getent, groupadd, useradd,
/// userdel, groupdel), always through argument lists. Created accounts are system accounts with their own
/// group, no password (locked), no login shell, and a home of their own under <see cref="HomeRoot"/>.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class UnixAccounts
{
    public const string NoLoginShell = "/usr/sbin/nologin";
    public const string DefaultHomeRoot = "/var/lib/cicdops-home";

    public UnixAccounts(string? homeRoot = null) => HomeRoot = Path.GetFullPath(homeRoot ?? DefaultHomeRoot);

    /// <summary>Parent of the homes of created accounts (root-owned, 0755; each home 0700 and owned by its account).</summary>
    public string HomeRoot { get; }

    /// <summary>The account named <paramref name="name"/>, or null when no such user exists.</summary>
    public ServiceAccount? Find(string name)
    {
        ServiceUserName.Validate(name);
        if (PasswdEntries.Available) return PasswdEntries.Lookup(name);
        var r = ToolRunner.Run("getent", new[] { "passwd", name });
        if (r.ExitCode == 2) return null; // getent: key not found
        if (r.ExitCode != 0)
            throw new CicdException(CicdError.ServiceUserFailed, $"Looking up account '{name}' failed: {r.OneLineError}", name);
        // name:password:uid:gid:gecos:home:shell
        var f = r.StandardOutput.TrimEnd('\n').Split('\n')[0].Split(':');
        if (f.Length < 7 || f[0] != name || !uint.TryParse(f[2], out var uid) || !uint.TryParse(f[3], out var gid))
            throw new CicdException(CicdError.ServiceUserFailed, $"The passwd entry of '{name}' cannot be parsed.", name);
        return new ServiceAccount(name, uid, gid, f[5]);
    }

    /// <summary>
    /// The account's groups (primary and supplementary), as <c>id -G</c> lists them: through getgrouplist(3), the
    /// call id makes (same NSS sources), in this process; `id` itself only where that call is missing.
    /// </summary>
    public uint[] GroupsOf(ServiceAccount account)
    {
        var name = account.Name;
        ServiceUserName.Validate(name);
        if (UnixGroupList.Of(name, account.Gid) is { } groups) return groups;
        var r = ToolRunner.Run("id", new[] { "-G", "--", name });
        if (r.ExitCode != 0) return Array.Empty<uint>();
        return r.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(g => uint.TryParse(g, out var gid) ? gid : uint.MaxValue).Where(g => g != uint.MaxValue).ToArray();
    }

    /// <summary>An existing account a user named for a project: it must exist and must not be root (uid or gid 0).</summary>
    public ServiceAccount RequireExisting(string name)
    {
        var account = Find(name) ?? throw new CicdException(CicdError.ServiceUserFailed, $"Account '{name}' does not exist.", name,
            "Create it first, or leave the service user empty so CicdOps creates a dedicated one.");
        if (account.Uid == 0 || account.Gid == 0)
            throw new CicdException(CicdError.ServiceUserFailed, $"Account '{name}' has root privileges (uid or gid 0); projects never run as root.", name);
        return account;
    }

    /// <summary>Creates a dedicated system user and group for <paramref name="projectName"/>.</summary>
    public ServiceAccount Create(string projectName)
    {
        var name = FreeName(projectName);
        ToolRunner.RunOrThrow("groupadd", new[] { "--system", "--", name }, $"Creating group '{name}'");
        var home = Path.Combine(HomeRoot, name);
        try
        {
            ToolRunner.RunOrThrow("useradd", new[]
            {
                "--system", "--gid", name, "--home-dir", home, "--no-create-home", "--shell", NoLoginShell,
                "--comment", "CicdOps project " + Regex.Replace(projectName, "[^A-Za-z0-9._-]", "_"), "--", name,
            }, $"Creating user '{name}'");
            var account = Find(name) ?? throw new CicdException(CicdError.ServiceUserFailed, $"User '{name}' vanished after creation.", name);
            CreateHome(account);
            return account;
        }
        catch
        {
            // Leave nothing half-made behind.
            ToolRunner.Run("userdel", new[] { "--", name });
            ToolRunner.Run("groupdel", new[] { "--", name });
            throw;
        }
    }

    /// <summary>
    /// Deletes an account CicdOps created (user, group, home). Refuses any other account: one named by a
    /// user belongs to them. Fails while the account still runs processes (stop the app first).
    /// </summary>
    public void Remove(string name)
    {
        if (!ServiceUserName.IsManaged(name))
            throw new CicdException(CicdError.ServiceUserFailed, $"Account '{Secrets.SafeText.Printable(name)}' was not created by CicdOps; it is left alone.", name);
        var user = ToolRunner.Run("userdel", new[] { "--", name });
        if (user.ExitCode is not 0 and not 6) // 6: no such user (already gone)
            throw new CicdException(CicdError.ServiceUserFailed, $"Removing user '{name}' failed (userdel exit {user.ExitCode}): {user.OneLineError}", name);
        var group = ToolRunner.Run("groupdel", new[] { "--", name });
        if (group.ExitCode is not 0 and not 6)
            throw new CicdException(CicdError.ServiceUserFailed, $"Removing group '{name}' failed (groupdel exit {group.ExitCode}): {group.OneLineError}", name);
        var home = Path.Combine(HomeRoot, name);
        if (Directory.Exists(home) && new DirectoryInfo(home).LinkTarget is null) Directory.Delete(home, recursive: true);
    }

    private string FreeName(string projectName)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var candidate = ServiceUserName.Derive(projectName);
            if (Find(candidate) is null && ToolRunner.Run("getent", new[] { "group", candidate }).ExitCode == 2) return candidate;
        }
        throw new CicdException(CicdError.ServiceUserFailed, $"No free account name found for project '{projectName}'.", projectName);
    }

    private void CreateHome(ServiceAccount account)
    {
        if (!Directory.Exists(HomeRoot))
        {
            Directory.CreateDirectory(HomeRoot);
            File.SetUnixFileMode(HomeRoot, (UnixFileMode)0b111_101_101); // 0755: accounts reach their own home only
        }
        var info = new DirectoryInfo(account.Home);
        if (info.Exists && info.LinkTarget is not null)
            throw new CicdException(CicdError.ServiceUserFailed, $"The home '{account.Home}' is a symbolic link.", account.Name);
        Directory.CreateDirectory(account.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(account.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        UnixIds.ChownNoFollow(account.Home, account.Uid, account.Gid);
    }
}
