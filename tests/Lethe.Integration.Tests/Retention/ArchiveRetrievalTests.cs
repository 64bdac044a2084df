using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Aws.Records;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Retention;

/// <summary>
/// Archive retrieval end to end (API.md, POST …/items/{id}/retrieve and GET …/items/{id}/download; DESIGN.md, archive-retrieval):
/// our API, workflows/archive-retrieval.asl.json, its handlers and adapters against the local cloud (moto restores at once, so the
/// scaled poll and window decide). A tenant archives fast (90 days = 3 s), then slows down so that its 7-day window lasts
/// <see cref="WindowSeconds"/> seconds.
/// </summary>
public sealed class ArchiveRetrievalTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private const int NinetyDaysSeconds = 3;
    private const int WindowSeconds = 8;
    private static readonly int FastScale = 90 * 86_400 / NinetyDaysSeconds;
    private static readonly int WindowScale = 7 * 86_400 / WindowSeconds;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A tenant whose transcript and a recording of <paramref name="subject"/> were archived by a sweep, now on the slower scale.</summary>
    private async Task<(ErasureScenario Scenario, string RecordId, StoredFile File)> ArchivedAsync(string prefix, string subject)
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, prefix, FastScale);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/retention",
            new { @default = "P2Y", categories = new { transcript = "P90D", recording = "P90D" } }, Ct)).EnsureSuccessStatusCode();
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/archive", new
        {
            categories = new { transcript = new { after = "P1Y", tier = "GLACIER" }, recording = new { after = "P1Y", tier = "DEEP_ARCHIVE" } },
        }, Ct)).EnsureSuccessStatusCode();
        var created = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/{subject}/records",
            new { category = "transcript", visibility = "shared", fields = new Dictionary<string, string> { ["text"] = $"Coach: the archived session of {subject}" } }, Ct);
        var record = await created.ReadJsonAsync();
        var recordId = record.GetProperty("id").GetString()!;
        scenario.Records[subject] = [recordId];
        var retainUntil = record.GetProperty("retainUntil").GetDateTimeOffset();
        var file = await scenario.PutFileAsync(await scenario.SubjectRefAsync(subject), versions: 2, retainUntil: retainUntil);
        await RetentionSweepTests.PassAsync(retainUntil);

        (await RetentionSweepTests.SweepAsync(scenario)).GetProperty("counts").GetProperty("archived").GetInt64().Should().Be(2);
        using var platform = api.PlatformAdmin();
        (await platform.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}", new { name = "Erasure test tenant", timeScale = WindowScale }, Ct)).EnsureSuccessStatusCode();
        return (scenario, recordId, file);
    }

    private static async Task<JsonElement> RetrieveAsync(ErasureScenario scenario, string itemId, string tier)
    {
        var started = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/items/{itemId}/retrieve", new { tier }, Ct);
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync(Ct));
        var job = await started.ReadJsonAsync();
        job.GetProperty("type").GetString().Should().Be("archive-retrieval");
        return job;
    }

    [Fact]
    public async Task An_archived_record_is_retrieved_read_back_and_archived_again_after_its_window()
    {
        var (scenario, recordId, _) = await ArchivedAsync("arr", "ann");
        (await scenario.GetRecordAsync("ann", 0)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await using var inbox = await NoticeInbox.SubscribeAsync(cloud);

        var job = await RetrieveAsync(scenario, recordId, "Standard");
        var jobId = job.GetProperty("id").GetString()!;
        var (readable, _) = await scenario.WaitForJobAsync(jobId, j => j.GetProperty("phase").GetString() == "readable" || ErasureScenario.IsClosed(j));

        readable.GetProperty("phase").GetString().Should().Be("readable", readable.ToString());
        var read = await scenario.GetRecordAsync("ann", 0);
        read.StatusCode.Should().Be(HttpStatusCode.OK, "a retrieved record is readable inside its window");
        (await read.ReadJsonAsync()).GetProperty("fields").GetProperty("text").GetString().Should().Be("Coach: the archived session of ann");
        var rectify = await scenario.Service.PatchAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/ann/records/{recordId}", new { fields = new { text = "changed" } }, Ct);
        rectify.StatusCode.Should().Be(HttpStatusCode.Conflict, "the retrieved copy goes back into the archive unchanged");
        (await rectify.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/record-archived");

        var (done, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(WindowSeconds * 4));
        done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
        (await scenario.GetRecordAsync("ann", 0)).StatusCode.Should().Be(HttpStatusCode.NotFound, "after its window the record is archived again");
        (await scenario.RecordItemExistsAsync(recordId)).Should().BeFalse();
        (await cloud.JournalActionsAsync(scenario.Tenant, Ct)).Should().Contain(["archive.retrieve", "archive.restore", "archive.readable", "archive.rearchive"]);
        var notice = await inbox.NextAsync(n => n.GetProperty("tenantId").GetString() == scenario.Tenant && n.GetProperty("event").GetString() == "archive.ready");
        notice.GetProperty("requestId").GetString().Should().Be(jobId);
        notice.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(["event", "tenantId", "requestId", "at"], "a notice carries ids, never content");
    }

    [Fact]
    public async Task An_archived_file_is_retrieved_downloaded_through_a_short_link_and_archived_again()
    {
        var (scenario, _, file) = await ArchivedAsync("arf", "ben");
        var refused = await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/items/{file.ItemId}/download", Ct);
        refused.StatusCode.Should().Be(HttpStatusCode.Conflict, "an archived file is downloaded only once retrieved");
        (await refused.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/item-not-retrieved");

        var jobId = (await RetrieveAsync(scenario, file.ItemId, "Bulk")).GetProperty("id").GetString()!;
        await scenario.WaitForJobAsync(jobId, j => j.GetProperty("phase").GetString() == "readable" || ErasureScenario.IsClosed(j));
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        var redirect = await admin.GetAsync($"/v1/tenants/{scenario.Tenant}/items/{file.ItemId}/download", Ct);

        redirect.StatusCode.Should().Be(HttpStatusCode.Redirect, await redirect.Content.ReadAsStringAsync(Ct));
        var expires = System.Web.HttpUtility.ParseQueryString(redirect.Headers.Location!.Query)["X-Amz-Expires"];
        int.Parse(expires!, System.Globalization.CultureInfo.InvariantCulture).Should().BeLessThanOrEqualTo(300);
        using var s3 = new HttpClient();
        (await s3.GetStringAsync(redirect.Headers.Location, Ct)).Should().Be("version 2", "the file's current version, restored");

        var (done, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(WindowSeconds * 4));
        done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
        (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/items/{file.ItemId}/download", Ct)).StatusCode
            .Should().Be(HttpStatusCode.Conflict, "after its window the file is archived again");
        (await cloud.JournalActionsAsync(scenario.Tenant, Ct)).Should().Contain("item.download");
    }

    [Fact]
    public async Task A_retrieval_is_refused_for_items_that_are_not_archived_unknown_foreign_or_already_retrieving_and_changes_nothing()
    {
        var (scenario, recordId, file) = await ArchivedAsync("arx", "cy");
        var active = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/cy/records",
            new { category = "note", visibility = "shared", fields = new Dictionary<string, string> { ["text"] = "still active" } }, Ct);
        var activeId = (await active.ReadJsonAsync()).GetProperty("id").GetString()!;
        var other = await ErasureScenario.CreateAsync(api, cloud, "ary");
        string Path(string tenant, string item) => $"/v1/tenants/{tenant}/items/{item}/retrieve";

        var notArchived = await scenario.Admin.PostAsJsonAsync(Path(scenario.Tenant, activeId), new { tier = "Standard" }, Ct);
        notArchived.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await notArchived.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/item-not-archived");
        (await scenario.Admin.PostAsJsonAsync(Path(scenario.Tenant, "item_unknown"), new { tier = "Standard" }, Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await other.Admin.PostAsJsonAsync(Path(other.Tenant, recordId), new { tier = "Standard" }, Ct)).StatusCode
            .Should().Be(HttpStatusCode.NotFound, "another tenant's item does not exist here");
        var badTier = await scenario.Admin.PostAsJsonAsync(Path(scenario.Tenant, recordId), new { tier = "Expedited" }, Ct);
        badTier.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badTier.ReadJsonAsync()).GetProperty("errors").TryGetProperty("tier", out _).Should().BeTrue();
        (await scenario.Service.PostAsJsonAsync(Path(scenario.Tenant, recordId), new { tier = "Standard" }, Ct)).StatusCode
            .Should().Be(HttpStatusCode.Forbidden, "retrieval is a tenant admin's decision");
        (await other.Admin.GetAsync($"/v1/tenants/{other.Tenant}/items/{file.ItemId}/download", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var first = await RetrieveAsync(scenario, recordId, "Standard");
        var again = await scenario.Admin.PostAsJsonAsync(Path(scenario.Tenant, recordId), new { tier = "Standard" }, Ct);

        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var problem = await again.ReadJsonAsync();
        problem.GetProperty("type").GetString().Should().EndWith("/retrieval-in-progress");
        problem.GetProperty("jobId").GetString().Should().Be(first.GetProperty("id").GetString());
        var retrievals = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?type=archive-retrieval", Ct)).ReadJsonAsync();
        retrievals.GetProperty("items").GetArrayLength().Should().Be(1, "the refused requests stored nothing");
    }
}
