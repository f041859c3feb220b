using Microsoft.Playwright;
using Sluice.Testing;

namespace Sluice.Dashboard.Tests;

/// <summary>
/// One headless Chromium for a test class (xunit class fixture): the system's browser (<see cref="Chromium"/> installs
/// Debian's package when it is missing, never a downloaded one), driven by Playwright for .NET. Each test gets a fresh
/// context (its own cookies); a test that fails leaves a screenshot of its page in <c>screenshots/</c> beside the test
/// assembly, which CI keeps as an artefact.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Where screenshots of failed tests go.</summary>
    public static string Screenshots => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        var executable = await Chromium.EnsureInstalledAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true });
    }

    /// <summary>
    /// Runs <paramref name="test"/> with a new page of the given size (a laptop by default); when it fails, the page
    /// is saved as <c>screenshots/NAME.png</c> and the failure reported as it was.
    /// </summary>
    public async Task WithPageAsync(string name, Func<IPage, Task> test, int width = 1280, int height = 900)
    {
        await using var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        try
        {
            await test(page);
        }
        catch (Exception)
        {
            Directory.CreateDirectory(Screenshots);
            try
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
            }
            catch (PlaywrightException)
            {
                // the page itself is gone: the failure below says why
            }

            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
