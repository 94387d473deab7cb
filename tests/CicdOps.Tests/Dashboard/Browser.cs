using Microsoft.Playwright;

namespace CicdOps.Tests.Dashboard;

/// <summary>
/// Headless Chromium from Debian (/usr/bin/chromium, installed by .ci/run) driven by Microsoft.Playwright's bundled
/// driver (it runs offline; Playwright's own browser download is never used). One browser per test class; each test
/// opens its own contexts (separate cookie jars). Screenshots go to artifacts/dashboard/ at the repository root
/// (gitignored; CI keeps them as artifacts).
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public IBrowser Chrome { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} is missing: install Debian's chromium (.ci/run does)");
        _playwright = await Playwright.CreateAsync();
        Chrome = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            // As root Chromium needs --no-sandbox (Playwright passes it when chromiumSandbox is off, its default).
            Args = ["--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Chrome is not null) await Chrome.DisposeAsync();
        _playwright?.Dispose();
    }

    public Task<IBrowserContext> NewContextAsync(int width = 1280, int height = 800) =>
        Chrome.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });

    /// <summary>Saves a full-page screenshot as artifacts/dashboard/NAME.png.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(RepositoryRoot(), "artifacts", "dashboard");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png"), FullPage = true });
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CicdOps.sln"))) return d.FullName;
        return Path.GetTempPath();
    }
}
