using System.Net.Http.Json;
using Lethe.Tests.Browser.Fixtures;
using Microsoft.Playwright;

namespace Lethe.Tests.Browser.Admin;

/// <summary>Settings, legal holds, the audit trail and the notification outbox in the console.</summary>
public sealed class SettingsAndAuditTests(ConsoleFixture console)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_retention_below_the_minimum_shows_the_apis_error_at_the_field_and_changes_nothing()
    {
        var tenant = await console.NewTenantAsync("settings", timeScale: 1);
        using var admin = console.Client(console.Token(tenant, "tenant-admin", "officer-1"));
        var before = (await admin.GetJsonAsync($"/v1/tenants/{tenant}/settings")).GetProperty("retention").GetProperty("default").GetString();
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));
        await page.OpenViewAsync("Settings", "Settings");

        var retention = page.GetByLabel("Default retention");
        await retention.FillAsync("P1D");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save retention" }).ClickAsync();

        await Assertions.Expect(retention).ToHaveAttributeAsync("aria-invalid", "true");
        var describedBy = (await retention.GetAttributeAsync("aria-describedby"))!.Split(' ');
        await Assertions.Expect(page.Locator("#" + describedBy[0])).ToContainTextAsync("P90D");
        describedBy.Should().HaveCount(2, "the field's hint still describes it beside the error");
        await page.ScreenshotAsync("admin-settings-invalid");
        (await admin.GetJsonAsync($"/v1/tenants/{tenant}/settings")).GetProperty("retention").GetProperty("default").GetString().Should().Be(before);
    }

    [Fact]
    public async Task A_retention_per_category_saved_in_the_console_is_the_tenants_setting()
    {
        var tenant = await console.NewTenantAsync("retain", timeScale: 1);
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));
        await page.OpenViewAsync("Settings", "Settings");

        var form = page.Locator("form").Filter(new() { HasText = "Save retention" });
        await form.GetByRole(AriaRole.Button, new() { Name = "Add category" }).ClickAsync();
        await form.GetByLabel("Category", new() { Exact = true }).Last.FillAsync("journal");
        await form.GetByLabel("Retention", new() { Exact = true }).Last.FillAsync("P1Y");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save retention" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Retention saved.");

        using var admin = console.Client(console.Token(tenant, "tenant-admin", "officer-1"));
        var settings = await admin.GetJsonAsync($"/v1/tenants/{tenant}/settings");
        settings.GetProperty("retention").GetProperty("categories").GetProperty("journal").GetString().Should().Be("P1Y");
    }

    [Fact]
    public async Task Archive_erasure_and_request_settings_saved_in_the_console_are_the_tenants_settings()
    {
        var tenant = await console.NewTenantAsync("policies", timeScale: 1);
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));
        await page.OpenViewAsync("Settings", "Settings");

        var archive = page.Locator("form").Filter(new() { HasText = "Save archive" });
        await archive.GetByRole(AriaRole.Button, new() { Name = "Add category" }).ClickAsync();
        await archive.GetByLabel("Category", new() { Exact = true }).Last.FillAsync("transcript");
        await archive.GetByLabel("Archive after", new() { Exact = true }).Last.FillAsync("P180D");
        await archive.GetByLabel("Tier", new() { Exact = true }).Last.SelectOptionAsync("DEEP_ARCHIVE");
        await archive.GetByRole(AriaRole.Button, new() { Name = "Save archive" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Archive saved.");

        var erasure = page.Locator("form").Filter(new() { HasText = "Save erasure" });
        await erasure.GetByRole(AriaRole.Button, new() { Name = "Add category" }).ClickAsync();
        await erasure.GetByLabel("Category", new() { Exact = true }).Last.FillAsync("invoice");
        await erasure.GetByLabel("Strategy", new() { Exact = true }).Last.SelectOptionAsync("mask");
        await erasure.GetByRole(AriaRole.Button, new() { Name = "Save erasure" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Erasure saved.");

        var requests = page.Locator("form").Filter(new() { HasText = "Save requests" });
        await requests.GetByLabel("Approval", new() { Exact = true }).SelectOptionAsync("four-eyes");
        await requests.GetByLabel("Request deadline").FillAsync("P60D");
        await requests.GetByRole(AriaRole.Button, new() { Name = "Save requests" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Requests saved.");
        await page.ScreenshotAsync("admin-settings-saved");

        using var admin = console.Client(console.Token(tenant, "tenant-admin", "officer-1"));
        var settings = await admin.GetJsonAsync($"/v1/tenants/{tenant}/settings");
        var transcript = settings.GetProperty("archive").GetProperty("categories").GetProperty("transcript");
        (transcript.GetProperty("after").GetString(), transcript.GetProperty("tier").GetString()).Should().Be(("P180D", "DEEP_ARCHIVE"));
        settings.GetProperty("erasure").GetProperty("categories").GetProperty("invoice").GetString().Should().Be("mask");
        var saved = settings.GetProperty("requests");
        (saved.GetProperty("approval").GetString(), saved.GetProperty("requestDeadline").GetString()).Should().Be(("four-eyes", "P60D"));
    }

    [Fact]
    public async Task A_legal_hold_placed_in_the_console_blocks_an_erasure_until_it_is_released_there()
    {
        var tenant = await console.NewTenantAsync("holds", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "ida");
        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));
        await page.OpenViewAsync("Legal holds", "Legal holds");

        await page.GetByLabel("Subject id").FillAsync("ida");
        await page.GetByLabel("Reason").FillAsync("Litigation 2026-17");
        await page.GetByRole(AriaRole.Button, new() { Name = "Place hold" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync("Litigation 2026-17");
        await page.ScreenshotAsync("admin-legal-holds");
        (await service.PostAsJsonAsync($"/v1/tenants/{tenant}/requests", new { type = "deletion", subjectId = "ida" }, Ct)).StatusCode
            .Should().Be(System.Net.HttpStatusCode.Conflict, "a held subject's data is never deleted");

        await page.GetByRole(AriaRole.Button, new() { Name = "Release" }).First.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table)).Not.ToContainTextAsync("Litigation 2026-17");
        (await service.PostAsJsonAsync($"/v1/tenants/{tenant}/requests", new { type = "deletion", subjectId = "ida" }, Ct)).StatusCode
            .Should().Be(System.Net.HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task The_audit_trail_is_listed_verified_and_exported_as_csv_in_the_console()
    {
        var tenant = await console.NewTenantAsync("audit", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "jon");
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "auditor", "auditor-1"));
        await page.OpenViewAsync("Audit", "Audit");

        await Assertions.Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync("record.create");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify chain" }).ClickAsync();
        await Assertions.Expect(page.Locator(".verify-result")).ToContainTextAsync("valid:");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export CSV" }).ClickAsync());
        await page.ScreenshotAsync("admin-audit");

        var file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.csv");
        await download.SaveAsAsync(file);
        var lines = await File.ReadAllLinesAsync(file, Ct);
        File.Delete(file);
        lines[0].Should().Contain("seq").And.Contain("hash");
        lines.Skip(1).Should().Contain(line => line.Contains("record.create", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_audit_range_chosen_in_the_console_lists_and_exports_only_the_events_inside_it()
    {
        var tenant = await console.NewTenantAsync("audit-range", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "jud");
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "auditor", "auditor-1"));
        await page.OpenViewAsync("Audit", "Audit");
        await Assertions.Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync("record.create");

        // A range that ends before the tenant existed.
        await page.GetByLabel("To", new() { Exact = true }).FillAsync("2020-01-01T00:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table)).Not.ToContainTextAsync("record.create");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export JSON" }).ClickAsync());

        var file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.json");
        await download.SaveAsAsync(file);
        var exported = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file, Ct));
        File.Delete(file);
        exported.RootElement.GetArrayLength().Should().Be(0, "nothing of this tenant happened before 2020");
    }

    [Fact]
    public async Task The_outbox_lists_what_was_sent_about_a_completed_export()
    {
        var tenant = await console.NewTenantAsync("outbox", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "kim");
        using var admin = console.Client(console.Token(tenant, "tenant-admin", "officer-1"));
        var jobId = await admin.SubmitRequestAsync(tenant, new { type = "export", subjectId = "kim", format = "json" });
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));
        await page.GotoAsync($"/admin#/jobs/{jobId}");
        await page.WaitForStatusAsync("completed");

        await page.OpenViewAsync("Notifications", "Notifications");
        var outbox = page.GetByRole(AriaRole.Table);
        for (var attempt = 0; attempt < 20 && !(await outbox.TextContentAsync())!.Contains("export.ready", StringComparison.Ordinal); attempt++)
        {
            await page.WaitForTimeoutAsync(500);
            await page.ReloadAsync();
        }

        await Assertions.Expect(outbox).ToContainTextAsync("export.ready");
        await Assertions.Expect(outbox.GetByRole(AriaRole.Link, new() { Name = jobId }).First).ToBeVisibleAsync();
        (await outbox.TextContentAsync()).Should().NotContain("kim", "a notice never names the subject");
        await page.ScreenshotAsync("admin-notifications");
    }
}
