using System.IO.Compression;
using System.Net.Http.Json;
using Lethe.Tests.Browser.Fixtures;
using Microsoft.Playwright;

namespace Lethe.Tests.Browser.Privacy;

/// <summary>The data subject's own page: their requests, a copy of their data, erasure, consents; nobody else's.</summary>
public sealed class PrivacyPageTests(ConsoleFixture console)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_subject_asks_for_a_copy_of_their_data_and_downloads_it_from_their_page()
    {
        var tenant = await console.NewTenantAsync("privacy", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "lea");
        var page = await console.NewPageAsync();
        await page.SignInAsync("/privacy", console.Token(tenant, "subject", "lea"));

        await page.GetByLabel("What do you ask for?").SelectOptionAsync("export");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send request" }).ClickAsync();
        var downloadButton = page.GetByRole(AriaRole.Button, new() { Name = "Download the export" });
        await Assertions.Expect(downloadButton).ToBeVisibleAsync(new() { Timeout = 120_000 });
        var download = await page.RunAndWaitForDownloadAsync(() => downloadButton.ClickAsync());
        await page.ScreenshotAsync("privacy-export");

        var file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.zip");
        await download.SaveAsAsync(file);
        using (var zip = ZipFile.OpenRead(file))
        {
            using var records = new StreamReader(zip.GetEntry("records.json")!.Open());
            (await records.ReadToEndAsync(Ct)).Should().Contain("Session 1 of lea");
        }

        File.Delete(file);
    }

    [Fact]
    public async Task A_subject_sees_only_their_own_requests()
    {
        var tenant = await console.NewTenantAsync("mine", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "max");
        await console.SeedSubjectAsync(tenant, "nia");
        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        var otherId = await service.SubmitRequestAsync(tenant, new { type = "export", subjectId = "nia" });
        var ownId = await service.SubmitRequestAsync(tenant, new { type = "export", subjectId = "max" });
        var page = await console.NewPageAsync();
        await page.SignInAsync("/privacy", console.Token(tenant, "subject", "max"));

        var requests = page.GetByRole(AriaRole.Table).First;
        await Assertions.Expect(requests).ToContainTextAsync(ownId);
        await Assertions.Expect(requests).Not.ToContainTextAsync(otherId);
    }

    [Fact]
    public async Task A_subject_withdraws_and_grants_consent_on_their_page()
    {
        var tenant = await console.NewTenantAsync("consent", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "ola");
        var page = await console.NewPageAsync();
        await page.SignInAsync("/privacy", console.Token(tenant, "subject", "ola"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Grant consent to ai-processing" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Withdraw consent to ai-processing" })).ToBeVisibleAsync();
        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        ConsentOf(await service.GetJsonAsync($"/v1/tenants/{tenant}/subjects/ola/consents")).Should().BeTrue();

        await page.GetByRole(AriaRole.Button, new() { Name = "Withdraw consent to ai-processing" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Grant consent to ai-processing" })).ToBeVisibleAsync();
        await page.ScreenshotAsync("privacy-consents");
        ConsentOf(await service.GetJsonAsync($"/v1/tenants/{tenant}/subjects/ola/consents")).Should().BeFalse();
        (await page.AccessibilityViolationsAsync()).Should().BeEmpty("the privacy page");
    }

    [Fact]
    public async Task A_subject_asks_for_erasure_from_their_page_and_sees_it_running()
    {
        var tenant = await console.NewTenantAsync("erase", timeScale: 1);
        await console.SeedSubjectAsync(tenant, "pia");
        var page = await console.NewPageAsync();
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.SignInAsync("/privacy", console.Token(tenant, "subject", "pia"));

        await page.GetByLabel("What do you ask for?").SelectOptionAsync("deletion");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send request" }).ClickAsync();

        var requests = page.GetByRole(AriaRole.Table).First;
        await Assertions.Expect(requests).ToContainTextAsync("Erasure");
        await Assertions.Expect(requests).ToContainTextAsync("running", new() { Timeout = 60_000 });
        using var admin = console.Client(console.Token(tenant, "tenant-admin", "officer-1"));
        var jobs = (await admin.GetJsonAsync($"/v1/tenants/{tenant}/requests?type=deletion")).GetProperty("items").EnumerateArray().ToList();
        jobs.Should().ContainSingle();
        await Assertions.Expect(requests).ToContainTextAsync(jobs[0].GetProperty("id").GetString()!);
        // "Running" is shown as soon as the workflow starts; the soft delete is its first step, done once the window opens.
        var phase = await PhaseOnceSoftDeletedAsync(admin, tenant, jobs[0].GetProperty("id").GetString()!);
        phase.Should().BeOneOf(PhasesAfterSoftDelete, "the erasure moves on from its soft delete");
        using var service = console.Client(console.Token(tenant, "service", "coach-app"));
        (await service.GetJsonAsync($"/v1/tenants/{tenant}/subjects/pia/records")).GetProperty("items").GetArrayLength().Should().Be(0, "the erasure hides the records once it has soft-deleted them");
    }

    private static readonly string?[] PhasesAfterSoftDelete = ["recovery-window", "purge", "shred", "certify", "notify", "done"];

    private static async Task<string?> PhaseOnceSoftDeletedAsync(HttpClient admin, string tenant, string jobId)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            var phase = (await admin.GetJsonAsync($"/v1/tenants/{tenant}/requests/{jobId}")).GetProperty("phase").GetString();
            if (PhasesAfterSoftDelete.Contains(phase) || DateTimeOffset.UtcNow > deadline)
            {
                return phase;
            }

            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    private static bool ConsentOf(System.Text.Json.JsonElement list) =>
        list.GetProperty("items").EnumerateArray().Single(c => c.GetProperty("purpose").GetString() == "ai-processing").GetProperty("granted").GetBoolean();
}
