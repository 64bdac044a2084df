using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lethe.Api.Auth;
using Lethe.Cli.Commands;
using Lethe.LocalCloud;
using Lethe.Tests.Browser.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(ConsoleFixture))]

namespace Lethe.Tests.Browser.Fixtures;

/// <summary>
/// One local cloud and API for the whole run, started as <c>./lethe up</c> starts them (on free ports), and one headless Debian
/// chromium driven by Playwright. Each test opens its own browser context (its own sessionStorage), so sign-ins never leak.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    /// <summary>Where Debian's chromium package puts the browser; <c>./lethe test</c> installs it with apt when it is missing.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>A tenant time scale under which the 30-day recovery window and deadline last about three seconds.</summary>
    public const int FastScale = 29 * 86_400 / 3;

    private LocalCloudHost? _cloud;
    private WebApplication? _api;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private ILoggerFactory? _loggers;
    private Microsoft.IdentityModel.Tokens.SymmetricSecurityKey? _devKey;

    public Uri BaseUrl { get; private set; } = new("http://localhost/");

    public LocalCloudHost Cloud => _cloud ?? throw new InvalidOperationException("The local cloud is not started.");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (sudo apt-get install -y chromium); ./lethe test does it itself.");
        }

        _loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        var root = RepositoryLayout.FindRoot() ?? throw new InvalidOperationException("The repository root (Serverless.sln) was not found.");
        var port = UpCommand.FreePort();
        (_cloud, _api) = await UpCommand.StartAsync(port, UpCommand.FreePort(), timeScale: 1, root, _loggers, TestContext.Current.CancellationToken, runDailySchedules: false);
        BaseUrl = new Uri($"http://localhost:{port}/");
        _devKey = DevSigningKey.LoadOrCreate(DevSigningKey.DefaultPath(root));

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // As root chromium needs --no-sandbox; the rest keep it from calling hosts this machine cannot reach.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser context and page on the API's origin (downloads accepted; nothing shared with other tests).</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl.ToString(), AcceptDownloads = true, Locale = "en-GB", TimezoneId = "UTC" });
        context.SetDefaultTimeout(20_000);
        return await context.NewPageAsync();
    }

    /// <summary>A token signed with the local dev key, as <c>./lethe token</c> prints it.</summary>
    public string Token(string tenant, string role, string? sub = null) =>
        DevSigningKey.IssueToken(_devKey!, tenant, [role], sub ?? $"dev-{role}", TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    /// <summary>An HTTP client of the API for the test's own arrangements (seeding data), never for what the browser must do.</summary>
    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Creates a tenant with a time scale (DESIGN.md's time model: a scaled recovery window of seconds, not 30 days).</summary>
    public async Task<string> NewTenantAsync(string prefix, int timeScale)
    {
        var tenant = $"{prefix}-{Guid.NewGuid():N}"[..20];
        using var platform = Client(Token(tenant, "platform-admin", "platform-operator"));
        var created = await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = $"Browser test {prefix}", timeScale }, TestContext.Current.CancellationToken);
        created.EnsureSuccessStatusCode();
        return tenant;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_api is not null)
        {
            await _api.StopAsync(CancellationToken.None);
            await _api.DisposeAsync();
        }

        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }

        _loggers?.Dispose();
    }
}
