using System.IO.Compression;
using System.Net.Http.Json;
using Lethe.Tests.Browser.Fixtures;
using Microsoft.Playwright;

namespace Lethe.Tests.Browser.Admin;

/// <summary>Exports, approvals and deadlines as a privacy officer handles them in the console.</summary>
public sealed class ExportAndApprovalTests(ConsoleFixture console)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_export_submitted_in_the_console_downloads_as_a_zip_with_the_subjects_records()
    {
        // An export runs no scaled wait, but its 7-day link would last under a second on a fast clock: this tenant keeps real time.
        var tenant = await console.NewTenantAsync("export", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "eve");
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));

        await page.OpenViewAsync("Submit", "Submit a request");
        await page.GetByLabel("Type").SelectOptionAsync("export");
        await page.GetByLabel("Subject id").FillAsync("eve");
        await page.GetByLabel("Export format").SelectOptionAsync("zip");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
        await page.WaitForStatusAsync("completed");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download export" }).ClickAsync());
        var file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.zip");
        await download.SaveAsAsync(file);
        await page.ScreenshotAsync("admin-export-completed");

        using var zip = ZipFile.OpenRead(file);
        zip.Entries.Select(e => e.FullName).Should().Contain(["manifest.json", "records.json"]);
        using var records = new StreamReader(zip.GetEntry("records.json")!.Open());
        (await records.ReadToEndAsync(Ct)).Should().Contain("Session 0 of eve");
        File.Delete(file);
    }

    [Fact]
    public async Task A_request_awaiting_approval_is_listed_overdue_and_denied_with_a_reason_in_the_console()
    {
        var tenant = await console.NewTenantAsync("approve", ConsoleFixture.FastScale);
        await console.SeedSubjectAsync(tenant, "fay");
        using var admin = console.Client(console.Token(tenant, "tenant-admin", "officer-1"));
        await admin.RequireOneApproverAsync(tenant);
        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        var jobId = await service.SubmitRequestAsync(tenant, new { type = "deletion", subjectId = "fay" });
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));

        // Its scaled 30-day deadline passes in seconds while it waits for an approver.
        await page.OpenViewAsync("Deadlines", "Deadlines");
        var overdue = page.Locator("section").Filter(new() { HasText = "Past their deadline" }).GetByRole(AriaRole.Table);
        for (var attempt = 0; attempt < 30 && !(await overdue.TextContentAsync())!.Contains(jobId, StringComparison.Ordinal); attempt++)
        {
            await page.WaitForTimeoutAsync(1000);
            await page.ReloadAsync();
        }

        await Assertions.Expect(overdue).ToContainTextAsync(jobId);
        await page.ScreenshotAsync("admin-deadlines");

        await page.GetByRole(AriaRole.Link, new() { Name = jobId }).First.ClickAsync();
        await page.WaitForStatusAsync("awaiting-approval");
        await page.GetByLabel("Reason for denial").FillAsync("Identity not verified");
        await page.GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync();
        await page.WaitForStatusAsync("denied");

        var job = await admin.GetJsonAsync($"/v1/tenants/{tenant}/requests/{jobId}");
        job.GetProperty("status").GetString().Should().Be("denied");
    }

    [Fact]
    public async Task An_export_awaiting_approval_is_found_with_the_filters_and_approved_in_the_console_and_then_runs()
    {
        var tenant = await console.NewTenantAsync("approve-ok", ConsoleFixture.FastScale);
        await console.SeedSubjectAsync(tenant, "gil");
        await console.SeedSubjectAsync(tenant, "hal");
        using var admin = console.Client(console.Token(tenant, "tenant-admin", "officer-1"));
        await admin.RequireOneApproverAsync(tenant);
        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        var export = await service.SubmitRequestAsync(tenant, new { type = "export", subjectId = "gil", format = "json" });
        var deletion = await service.SubmitRequestAsync(tenant, new { type = "deletion", subjectId = "hal" });
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));

        await page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("awaiting-approval");
        await page.GetByLabel("Type").SelectOptionAsync("export");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        var list = page.GetByRole(AriaRole.Table);
        await Assertions.Expect(list).ToContainTextAsync(export);
        await Assertions.Expect(list).Not.ToContainTextAsync(deletion);
        await page.ScreenshotAsync("admin-requests-filtered");

        await page.GetByRole(AriaRole.Link, new() { Name = export }).ClickAsync();
        await page.WaitForStatusAsync("awaiting-approval");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await page.WaitForStatusAsync("completed");

        (await admin.GetJsonAsync($"/v1/tenants/{tenant}/requests/{deletion}")).GetProperty("status").GetString()
            .Should().Be("awaiting-approval", "approving one request starts that one only");
    }
}
