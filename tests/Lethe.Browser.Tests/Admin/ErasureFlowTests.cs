using System.Net.Http.Json;
using Lethe.Tests.Browser.Fixtures;
using Microsoft.Playwright;

namespace Lethe.Tests.Browser.Admin;

/// <summary>
/// Erasures done through the admin console alone: submitted in the form, followed live, cancelled, retried, certified and
/// verified in the browser. The tests arrange data through the API (the tenant's app) and read outcomes back through it.
/// </summary>
public sealed class ErasureFlowTests(ConsoleFixture console)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> SubmitDeletionAsync(IPage page, string subject)
    {
        await page.OpenViewAsync("Submit", "Submit a request");
        await page.GetByLabel("Type").SelectOptionAsync("deletion");
        await page.GetByLabel("Subject id").FillAsync(subject);
        await page.GetByLabel("Reason").FillAsync("Asked by e-mail");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Request ");
        return (await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).TextContentAsync())!["Request ".Length..];
    }

    [Fact]
    public async Task An_erasure_cancelled_in_its_recovery_window_and_restored_gives_the_subject_their_records_back()
    {
        var tenant = await console.NewTenantAsync("cancel", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "ada");
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));

        var jobId = await SubmitDeletionAsync(page, "ada");
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("recovery-window", new() { Timeout = 60_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await page.WaitForStatusAsync("cancelled");
        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        (await service.GetJsonAsync($"/v1/tenants/{tenant}/subjects/ada/records")).GetProperty("items").GetArrayLength()
            .Should().Be(0, "a cancel stops the erasure but does not undo its soft delete");
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore all items" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Restored");
        await page.ScreenshotAsync("admin-erasure-cancelled");

        var records = await service.GetJsonAsync($"/v1/tenants/{tenant}/subjects/ada/records");
        records.GetProperty("items").GetArrayLength().Should().Be(2, $"restoring {jobId} inside its window brings the soft-deleted records back");
    }

    [Fact]
    public async Task One_item_of_an_erasure_is_restored_from_the_inventory_inside_its_window()
    {
        var tenant = await console.NewTenantAsync("item", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "amy");
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));

        await SubmitDeletionAsync(page, "amy");
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("recovery-window", new() { Timeout = 60_000 });
        await page.OpenViewAsync("Soft-deleted items of this subject", "Inventory");
        var restore = page.GetByRole(AriaRole.Button, new() { Name = "Restore item" });
        await Assertions.Expect(restore.First).ToBeVisibleAsync();
        await restore.First.ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("restored");
        await page.ScreenshotAsync("admin-inventory");

        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        (await service.GetJsonAsync($"/v1/tenants/{tenant}/subjects/amy/records")).GetProperty("items").GetArrayLength()
            .Should().Be(1, "one of the two records came back, the other stays soft-deleted");
    }

    [Fact]
    public async Task A_failed_erasure_lists_its_stuck_item_and_a_retry_from_the_browser_completes_it()
    {
        var tenant = await console.NewTenantAsync("retry", ConsoleFixture.FastScale);
        await console.SeedSubjectAsync(tenant, "ben");
        var stuck = await console.PutUnpurgeableItemAsync(tenant, "ben");
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));

        var jobId = await SubmitDeletionAsync(page, "ben");
        await page.WaitForStatusAsync("failed");
        var errors = page.GetByRole(AriaRole.Table, new() { Name = "Items that failed after retries" });
        await Assertions.Expect(errors).ToContainTextAsync(stuck);
        await Assertions.Expect(errors).Not.ToContainTextAsync("stackTrace");
        await page.ScreenshotAsync("admin-erasure-failed");

        // The operator moves the archive to a store Lethe can reach; then the admin retries in the console.
        await console.MakeItemPurgeableAsync(tenant, stuck);
        await page.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await page.WaitForStatusAsync("completed");
        await Assertions.Expect(page.Locator("section").Filter(new() { HasText = "Executions" })).ToContainTextAsync($"{jobId}-2");

        using var admin = console.Client(console.Token(tenant, "tenant-admin", "officer-1"));
        var job = await admin.GetJsonAsync($"/v1/tenants/{tenant}/requests/{jobId}");
        job.GetProperty("errors").GetArrayLength().Should().Be(0);
        job.GetProperty("certificateId").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_completed_erasure_shows_its_certificate_verified_in_the_browser_and_its_execution_history()
    {
        var tenant = await console.NewTenantAsync("cert", ConsoleFixture.FastScale);
        await console.SeedSubjectAsync(tenant, "cyd");
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));

        var jobId = await SubmitDeletionAsync(page, "cyd");
        await page.WaitForStatusAsync("completed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify signature" }).First.ClickAsync();
        await Assertions.Expect(page.Locator(".verify-result").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^valid: "));

        await page.Locator("details.execution summary").First.ClickAsync();
        var history = page.GetByRole(AriaRole.Table, new() { Name = $"State history of {jobId}-1" });
        await Assertions.Expect(history).ToContainTextAsync("ExecutionSucceeded");
        await Assertions.Expect(history).ToContainTextAsync("Certify");
        await page.ScreenshotAsync("admin-erasure-completed");
    }

    [Fact]
    public async Task A_certificate_altered_after_signing_is_reported_invalid_by_the_browser_check()
    {
        var tenant = await console.NewTenantAsync("forge", ConsoleFixture.FastScale);
        await console.SeedSubjectAsync(tenant, "dov");
        using var admin = console.Client(console.Token(tenant, "tenant-admin", "officer-1"));
        var jobId = await admin.SubmitRequestAsync(tenant, new { type = "deletion", subjectId = "dov" });
        var page = await console.NewPageAsync();
        await page.SignInAsync("/admin", console.Token(tenant, "tenant-admin", "officer-1"));
        await page.GotoAsync($"/admin#/jobs/{jobId}");
        await page.WaitForStatusAsync("completed");

        // The page's own verifier, given the real certificate with one claim changed in the signed payload.
        var outcome = await page.EvaluateAsync<string>(@"async ([tenant, id]) => {
            const { verifyCertificate } = await import('/console/js/certificate.js');
            const token = sessionStorage.getItem('lethe.token');
            const document = await (await fetch(`/v1/tenants/${tenant}/requests/${id}/certificate`, { headers: { Authorization: `Bearer ${token}` } })).json();
            const forged = JSON.parse(atob(document.payload));
            forged.counts.itemsErased += 1;
            const { canonicalize } = await import('/console/js/certificate.js');
            const payload = btoa(canonicalize(forged));
            const result = await verifyCertificate({ ...document, payload, certificate: forged },
              async keyId => (await fetch(`/v1/certificates/public-keys/${encodeURIComponent(keyId)}`)).text());
            const genuine = await verifyCertificate(document, async keyId => (await fetch(`/v1/certificates/public-keys/${encodeURIComponent(keyId)}`)).text());
            return `${genuine.valid}|${result.valid}|${result.reason}`;
        }", new[] { tenant, jobId });

        outcome.Should().Be("true|false|the signature does not match the payload under this key");
    }
}
