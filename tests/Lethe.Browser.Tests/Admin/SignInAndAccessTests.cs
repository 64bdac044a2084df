using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Lethe.Tests.Browser.Fixtures;
using Microsoft.Playwright;

namespace Lethe.Tests.Browser.Admin;

/// <summary>Signing in, what each role sees, how the pages are served, and whether they can be used without a mouse or sight.</summary>
public sealed partial class SignInAndAccessTests(ConsoleFixture console)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_local_dev_sign_in_mints_a_token_and_opens_the_tenants_requests()
    {
        var tenant = await console.NewTenantAsync("devsign", timeScale: 1);
        var page = await console.NewPageAsync();
        await page.GotoAsync("/admin");

        await page.GetByLabel("Tenant").FillAsync(tenant);
        await page.GetByLabel("Role").SelectOptionAsync("tenant-admin");
        await page.GetByLabel("Subject (sub)").FillAsync("officer-7");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in (dev)" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Requests", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync("officer-7 (tenant-admin)");
        await page.ScreenshotAsync("admin-requests");
    }

    [Fact]
    public async Task An_auditor_reads_requests_but_is_offered_no_submit_settings_or_cancel()
    {
        var tenant = await console.NewTenantAsync("auditor", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "gus");
        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        var jobId = await service.SubmitRequestAsync(tenant, new { type = "deletion", subjectId = "gus" });
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "auditor", "auditor-1"));

        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = jobId })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Submit" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Settings" })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Link, new() { Name = jobId }).ClickAsync();
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("recovery-window", new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_auditor_who_types_the_address_of_a_managers_view_is_shown_the_requests_instead()
    {
        var tenant = await console.NewTenantAsync("auditor-url", timeScale: 1);
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "auditor", "auditor-1"));

        foreach (var view in new[] { "submit", "holds", "settings" })
        {
            await page.GotoAsync($"/admin#/{view}");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Requests");
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Place hold" })).ToHaveCountAsync(0);
        }
    }

    [Fact]
    public async Task A_token_without_an_admin_role_is_refused_with_a_reason()
    {
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token("t-refused", "service", "coach-app"));

        await Assertions.Expect(page.GetByText("This token holds none of the roles tenant-admin, auditor or platform-admin.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Requests" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_platform_admin_picks_the_tenant_to_look_at()
    {
        var tenant = await console.NewTenantAsync("pick", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "hal");
        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        var jobId = await service.SubmitRequestAsync(tenant, new { type = "export", subjectId = "hal" });
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token("platform", "platform-admin", "operator-1"));

        await page.GetByLabel("Tenant", new() { Exact = true }).FillAsync(tenant);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = jobId })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_pages_are_served_with_a_policy_that_allows_no_inline_script()
    {
        using var http = new HttpClient { BaseAddress = console.BaseUrl };
        foreach (var path in new[] { "/admin", "/privacy" })
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative), Ct);
            var html = await response.Content.ReadAsStringAsync(Ct);

            response.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("script-src 'self';").And.NotContain("unsafe-inline");
            response.Headers.GetValues("X-Frame-Options").Single().Should().Be("DENY");
            InlineScript().IsMatch(html).Should().BeFalse($"{path} has a script without src or an inline handler");
        }
    }

    [Fact]
    public async Task The_dev_sign_in_refuses_a_page_of_another_origin()
    {
        using var http = new HttpClient { BaseAddress = console.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/console/dev-token")
        {
            Content = JsonContent.Create(new { tenant = "t1", role = "platform-admin" }),
        };
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await http.SendAsync(request, Ct);

        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Forbidden);
        using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        problem.RootElement.TryGetProperty("token", out _).Should().BeFalse("nothing was minted");
    }

    [Fact]
    public async Task The_sign_in_requests_and_settings_pages_have_no_serious_accessibility_violations()
    {
        var tenant = await console.NewTenantAsync("a11y", timeScale: 1);
        var page = await console.NewPageAsync();
        await page.GotoAsync("/admin");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in (dev)" })).ToBeVisibleAsync();
        (await page.AccessibilityViolationsAsync()).Should().BeEmpty("the sign-in page");

        await page.GetByLabel("Bearer token (JWT)").FillAsync(console.Token(tenant, "tenant-admin", "officer-1"));
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Requests", Level = 1 })).ToBeVisibleAsync();
        (await page.AccessibilityViolationsAsync()).Should().BeEmpty("the requests page");

        await page.OpenViewAsync("Settings", "Settings");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Retention" })).ToBeVisibleAsync();
        (await page.AccessibilityViolationsAsync()).Should().BeEmpty("the settings page");
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
