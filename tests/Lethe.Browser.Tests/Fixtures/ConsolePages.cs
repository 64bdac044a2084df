using System.Net.Http.Json;
using System.Text.Json;
using Deque.AxeCore.Playwright;
using Lethe.LocalCloud;
using Microsoft.Playwright;

namespace Lethe.Tests.Browser.Fixtures;

/// <summary>What the browser tests do on the pages again and again: sign in, wait for a status, screenshot, check accessibility.</summary>
public static class ConsolePages
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens a page and signs in by pasting the token, as a user with a token from their identity provider does.</summary>
    public static async Task SignInAsync(this IPage page, string path, string token)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync(path);
        await page.GetByLabel("Bearer token (JWT)").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
    }

    /// <summary>The status badge of the request page once it shows <paramref name="status"/> (the page refreshes itself).</summary>
    public static Task WaitForStatusAsync(this IPage page, string status, int timeoutSeconds = 120) =>
        Assertions.Expect(page.Locator("dl.facts .badge").First).ToHaveTextAsync(status, new() { Timeout = timeoutSeconds * 1000 });

    /// <summary>
    /// Follows a link of the console and waits for the view's heading: the view it replaces may have fields of the
    /// same labels (the requests list filters by "Type" and "Subject id"), which a test would otherwise fill while the view changes.
    /// </summary>
    public static async Task OpenViewAsync(this IPage page, string link, string heading)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(heading);
    }

    /// <summary>Saves a full-page screenshot under tests/artifacts/ (git-ignored) and returns its path.</summary>
    public static async Task<string> ScreenshotAsync(this IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        var directory = Path.Combine(RepositoryLayout.FindRoot() ?? AppContext.BaseDirectory, "tests", "artifacts");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    /// <summary>
    /// axe-core's WCAG 2.1 A/AA rules on the page as it is now; returns each serious or critical violation as "rule: target",
    /// so a failing test names what to fix.
    /// </summary>
    public static async Task<IReadOnlyList<string>> AccessibilityViolationsAsync(this IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var result = await page.RunAxe(new Deque.AxeCore.Commons.AxeRunOptions
        {
            RunOnly = new Deque.AxeCore.Commons.RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        return result.Violations.Where(v => v.Impact is "serious" or "critical")
            .SelectMany(v => v.Nodes.Select(n => $"{v.Id}: {n.Target} {(n.Html.Length > 160 ? n.Html[..160] : n.Html)}"))
            .ToList();
    }

    /// <summary>Stores records of a subject through the API with a service token (the tenant's app does this, not the console).</summary>
    public static async Task SeedSubjectAsync(this ConsoleFixture fixture, string tenant, string subject, int records = 2)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        using var service = fixture.Client(fixture.Token(tenant, "service", "coach-app"));
        for (var i = 0; i < records; i++)
        {
            var created = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/{subject}/records",
                new { category = "transcript", visibility = "shared", fields = new Dictionary<string, string> { ["body"] = $"Session {i} of {subject}: call me on +44 20 7946 0958" } }, Ct);
            created.EnsureSuccessStatusCode();
        }
    }

    /// <summary>Submits a request through the API (as the coaching app would) and returns its id; fails the test on a refusal.</summary>
    public static async Task<string> SubmitRequestAsync(this HttpClient client, string tenant, object request)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var submitted = await client.PostAsJsonAsync($"/v1/tenants/{tenant}/requests", request, TestContext.Current.CancellationToken);
        submitted.EnsureSuccessStatusCode();
        return (await submitted.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;
    }

    /// <summary>Turns on the tenant's approval policy (one approver): new deletions and exports wait in awaiting-approval.</summary>
    public static async Task RequireOneApproverAsync(this HttpClient admin, string tenant)
    {
        ArgumentNullException.ThrowIfNull(admin);
        using var saved = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/settings/requests",
            new { approval = "one", pauseApprovalsOnFailure = false, requestDeadline = "P30D", notifications = new { emails = Array.Empty<string>() } },
            TestContext.Current.CancellationToken);
        saved.EnsureSuccessStatusCode();
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative), Ct);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return document.RootElement.Clone();
    }
}
