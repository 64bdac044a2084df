using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Aws.Configuration;
using Lethe.Aws.Exports;
using Lethe.Catalog;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Retention;

/// <summary>
/// Archival by the retention sweep (API.md, settings/archive; DESIGN.md, retention-sweep): items of archiving categories move to
/// their tier when their retention ends, stay unreadable there for their archive period, then are purged. Our real API, ASL,
/// handlers and adapters against the local cloud, on a fast tenant whose 90 days last <see cref="NinetyDaysSeconds"/> seconds.
/// </summary>
public sealed class RetentionArchiveTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private const int NinetyDaysSeconds = 3;
    private static readonly int Scale = 90 * 86_400 / NinetyDaysSeconds;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string DataBucket => ResourceNames.FromEnvironment().Bucket(ResourceCatalog.Data);

    /// <summary>Transcripts, notes and recordings kept 90 days (scaled); transcripts archive to Glacier for 90 days, recordings to Deep Archive for 180.</summary>
    private async Task<ErasureScenario> TenantAsync(string prefix)
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, prefix, Scale);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/retention",
            new { @default = "P2Y", categories = new { transcript = "P90D", note = "P90D", recording = "P90D" } }, Ct)).EnsureSuccessStatusCode();
        var archive = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/archive", new
        {
            categories = new { transcript = new { after = "P90D", tier = "GLACIER" }, recording = new { after = "P180D", tier = "DEEP_ARCHIVE" } },
        }, Ct);
        archive.StatusCode.Should().Be(HttpStatusCode.OK, await archive.Content.ReadAsStringAsync(Ct));
        return scenario;
    }

    private static async Task<(string Id, DateTimeOffset RetainUntil)> WriteAsync(ErasureScenario scenario, string subject, string category, string text)
    {
        var created = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/{subject}/records",
            new { category, visibility = "shared", fields = new Dictionary<string, string> { ["text"] = text } }, Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var body = await created.ReadJsonAsync();
        var id = body.GetProperty("id").GetString()!;
        scenario.Records.TryAdd(subject, []);
        scenario.Records[subject].Add(id);
        return (id, body.GetProperty("retainUntil").GetDateTimeOffset());
    }

    private static async Task<Dictionary<string, JsonElement>> ItemsAsync(ErasureScenario scenario)
    {
        var items = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/items?limit=500", Ct)).ReadJsonAsync();
        return items.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetString()!, i => i.Clone());
    }

    /// <summary>Every version of every object under the subject's archive folder.</summary>
    private async Task<List<S3ObjectVersion>> ArchiveVersionsAsync(ErasureScenario scenario, string subjectRef)
    {
        using var s3 = cloud.Cloud.CreateS3Client();
        var listed = await s3.ListVersionsAsync(new ListVersionsRequest
        {
            BucketName = DataBucket, Prefix = $"{scenario.Tenant}/{subjectRef}/archive/",
        }, Ct);
        return listed.Versions ?? [];
    }

    [Fact]
    public async Task A_sweep_archives_due_records_and_files_of_archiving_categories_unreadable_and_purges_the_rest()
    {
        var scenario = await TenantAsync("rar");
        var transcript = await WriteAsync(scenario, "ann", "transcript", "Coach: the archived words of ann");
        var note = await WriteAsync(scenario, "ann", "note", "a note of ann");
        var subjectRef = await scenario.SubjectRefAsync("ann");
        var file = await scenario.PutFileAsync(subjectRef, versions: 2, retainUntil: transcript.RetainUntil);
        await RetentionSweepTests.PassAsync(new[] { transcript.RetainUntil, note.RetainUntil }.Max());

        var run = await RetentionSweepTests.SweepAsync(scenario);

        run.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(1, "notes do not archive");
        (await scenario.GetRecordAsync("ann", 0)).StatusCode.Should().Be(HttpStatusCode.NotFound, "an archived record is not readable until retrieved");
        (await scenario.RecordItemExistsAsync(transcript.Id)).Should().BeFalse("an archived record leaves the Records table");
        var items = await ItemsAsync(scenario);
        items[transcript.Id].GetProperty("state").GetString().Should().Be("archived");
        items[file.ItemId].GetProperty("state").GetString().Should().Be("archived");
        items[transcript.Id].GetProperty("location").GetProperty("key").GetString().Should().StartWith($"{scenario.Tenant}/{subjectRef}/archive/");

        using var s3 = cloud.Cloud.CreateS3Client();
        var archived = (await ArchiveVersionsAsync(scenario, subjectRef)).Should().ContainSingle().Subject;
        archived.StorageClass.Value.Should().Be("GLACIER");
        var read = () => s3.GetObjectAsync(DataBucket, archived.Key, Ct);
        (await read.Should().ThrowAsync<AmazonS3Exception>()).Which.ErrorCode.Should().Be("InvalidObjectState", "Glacier objects are read only after a restore");
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = file.Bucket, Key = file.Key }, Ct);
        head.StorageClass.Value.Should().Be("DEEP_ARCHIVE");
        // moto answers a tag read of an archived object only once restored (S3 itself answers at once).
        await s3.RestoreObjectAsync(new RestoreObjectRequest { BucketName = file.Bucket, Key = file.Key, Days = 1 }, Ct);
        var tags = await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = file.Bucket, Key = file.Key }, Ct);
        tags.Tagging.Should().Contain(t => t.Key == "lethe:tier" && t.Value == "deep-archive").And.Contain(t => t.Key == "lethe:tenant" && t.Value == scenario.Tenant);

        var export = await Exports.ExportTests.SubmitAndCompleteAsync(scenario, "ann", "json");
        // Read from the exports bucket itself: at this time scale the 7-day link lasts a fraction of a second.
        var exportKey = S3ExportStore.KeyFor(scenario.Tenant, export.GetProperty("id").GetString()!, 1, Domain.Exports.ExportFormat.Json);
        using var exportObject = await s3.GetObjectAsync(ResourceNames.FromEnvironment().Bucket(ResourceCatalog.Exports), exportKey, Ct);
        using var exported = await JsonDocument.ParseAsync(exportObject.ResponseStream, cancellationToken: Ct);
        exported.RootElement.GetProperty("archived").EnumerateArray().Select(a => a.GetProperty("id").GetString())
            .Should().BeEquivalentTo([transcript.Id, file.ItemId], "an export lists archived items by id: their content needs a retrieval first");
        exported.RootElement.GetProperty("records").GetArrayLength().Should().Be(0, "nothing of ann is readable: the note is purged, the transcript archived");

        var runs = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/retention/runs", Ct)).ReadJsonAsync();
        runs.GetProperty("items")[0].GetProperty("counts").GetProperty("archived").GetInt64().Should().Be(2);
        var certificate = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{run.GetProperty("id").GetString()}/certificate", Ct)).ReadJsonAsync();
        certificate.GetProperty("certificate").GetProperty("counts").GetProperty("archived").GetInt64().Should().Be(2);
        using var anonymous = api.CreateClient();
        var pem = await anonymous.GetStringAsync("/v1/certificates/public-key", Ct);
        (await ErasureEndToEndTests.VerifyWithCliAsync(certificate.GetRawText(), pem)).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task An_archived_record_object_keeps_sealed_fields_sealed()
    {
        var scenario = await TenantAsync("ras");
        var transcript = await WriteAsync(scenario, "bea", "transcript", "Client: my secret plans");
        await RetentionSweepTests.PassAsync(transcript.RetainUntil);
        await RetentionSweepTests.SweepAsync(scenario);

        // Read the object as S3 holds it, past the Glacier guard: a restore (moto restores at once).
        var version = (await ArchiveVersionsAsync(scenario, await scenario.SubjectRefAsync("bea"))).Should().ContainSingle().Subject;
        using var s3 = cloud.Cloud.CreateS3Client();
        await s3.RestoreObjectAsync(new RestoreObjectRequest { BucketName = DataBucket, Key = version.Key, VersionId = version.VersionId, Days = 1 }, Ct);
        using var body = await s3.GetObjectAsync(new GetObjectRequest { BucketName = DataBucket, Key = version.Key, VersionId = version.VersionId }, Ct);
        var text = await new StreamReader(body.ResponseStream).ReadToEndAsync(Ct);
        text.Should().Contain(transcript.Id).And.NotContain("secret plans");
        // Opened with the key only its item holds, the entry is the record as its row was: fields still sealed under the subject's KEK.
        var entry = JsonDocument.Parse(text).RootElement.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("id").GetString() == transcript.Id);
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var item = await dynamo.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
        {
            TableName = ResourceNames.FromEnvironment().Table(ResourceCatalog.Inventory),
            Key = Lethe.Aws.Catalog.DynamoKeys.Of(scenario.Tenant, $"ITEM#{transcript.Id}"),
            ConsistentRead = true,
        }, Ct);
        var subjectRef = await scenario.SubjectRefAsync("bea");
        var opened = Lethe.Domain.Crypto.ArchiveEntry.Open(
            Convert.FromBase64String(entry.GetProperty("sealed").GetString()!), item.Item["archiveKey"].B.ToArray(), scenario.Tenant, subjectRef, transcript.Id);
        var field = JsonDocument.Parse(opened).RootElement.GetProperty("fields").GetProperty("text").GetString()!;
        Lethe.Domain.Crypto.FieldEnvelope.IsEnvelope(Convert.FromBase64String(field)).Should().BeTrue("a transcript's fields stay sealed under the subject's key in the archive");
        System.Text.Encoding.UTF8.GetString(opened).Should().NotContain("secret plans");
    }

    [Fact]
    public async Task An_archived_item_is_purged_by_the_first_run_after_its_archive_period_and_its_subjects_key_shredded()
    {
        var scenario = await TenantAsync("rap");
        var transcript = await WriteAsync(scenario, "cy", "transcript", "Coach: words of cy");
        var subjectRef = await scenario.SubjectRefAsync("cy");
        await RetentionSweepTests.PassAsync(transcript.RetainUntil);
        var first = await RetentionSweepTests.SweepAsync(scenario);
        first.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(0);
        var archivedUntil = first.GetProperty("createdAt").GetDateTimeOffset().AddSeconds(NinetyDaysSeconds);

        var early = await RetentionSweepTests.SweepAsync(scenario);
        // On a loaded machine the second run may already start after the (scaled, seconds-long) archive period: then it is the
        // first run after it, and the one that must purge.
        var earlyIsAfter = DateTimeOffset.Parse(early.GetProperty("createdAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= archivedUntil;
        if (!earlyIsAfter)
        {
            early.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(0, "its archive period has not ended");
            (await ArchiveVersionsAsync(scenario, subjectRef)).Should().NotBeEmpty();
        }

        await RetentionSweepTests.PassAsync(archivedUntil);
        var late = await RetentionSweepTests.SweepAsync(scenario);

        (earlyIsAfter ? early : late).GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(1, "the first run after the archive period purges it");
        late.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(earlyIsAfter ? 0 : 1, "and it is purged once");
        (await ArchiveVersionsAsync(scenario, subjectRef)).Should().BeEmpty("every version of the archived object is deleted");
        (await ItemsAsync(scenario))[transcript.Id].GetProperty("state").GetString().Should().Be("purged");
        (await scenario.KekExistsAsync(subjectRef)).Should().BeFalse("nothing of the subject is left");
    }

    [Fact]
    public async Task An_erasure_purges_the_subjects_archived_records_and_files_and_counts_them()
    {
        var scenario = await TenantAsync("rae");
        var transcript = await WriteAsync(scenario, "dee", "transcript", "Coach: words of dee");
        var subjectRef = await scenario.SubjectRefAsync("dee");
        var file = await scenario.PutFileAsync(subjectRef, versions: 2, retainUntil: transcript.RetainUntil);
        await RetentionSweepTests.PassAsync(transcript.RetainUntil);
        (await RetentionSweepTests.SweepAsync(scenario)).GetProperty("counts").GetProperty("archived").GetInt64().Should().Be(2);

        var jobId = await scenario.SubmitAndWaitForWindowAsync("dee");
        var (done, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(120));

        done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
        done.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(2);
        (await ArchiveVersionsAsync(scenario, subjectRef)).Should().BeEmpty();
        (await scenario.ObjectVersionsAsync(file)).Should().BeEmpty();
        var items = await ItemsAsync(scenario);
        items[transcript.Id].GetProperty("state").GetString().Should().Be("purged");
        items[file.ItemId].GetProperty("state").GetString().Should().Be("purged");
    }

    [Fact]
    public async Task An_archived_record_kept_through_an_erasure_keeps_its_object_and_its_subjects_key_while_the_purged_ones_entry_loses_its_key()
    {
        var scenario = await TenantAsync("rak");
        var kept = await WriteAsync(scenario, "fay", "transcript", "Coach: kept words");
        var gone = await WriteAsync(scenario, "fay", "transcript", "Coach: erased words");
        var subjectRef = await scenario.SubjectRefAsync("fay");
        await RetentionSweepTests.PassAsync(new[] { kept.RetainUntil, gone.RetainUntil }.Max());
        (await RetentionSweepTests.SweepAsync(scenario)).GetProperty("counts").GetProperty("archived").GetInt64().Should().Be(2);
        (await ArchiveVersionsAsync(scenario, subjectRef)).Should().ContainSingle("both records share the page's archived object");
        // A slower clock for the erasure, so that its recovery window (29 days) lasts ten seconds.
        using (var platform = api.PlatformAdmin())
        {
            (await platform.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}", new { name = "Erasure test tenant", timeScale = 29 * 86_400 / 10 }, Ct)).EnsureSuccessStatusCode();
        }

        var jobId = await scenario.SubmitAndWaitForWindowAsync("fay");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/items/{kept.Id}/restore", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        var (done, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(60));

        done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
        var items = await ItemsAsync(scenario);
        items[kept.Id].GetProperty("state").GetString().Should().Be("archived", "a restored archived record goes back to the archive");
        items[gone.Id].GetProperty("state").GetString().Should().Be("purged");
        (await ArchiveVersionsAsync(scenario, subjectRef)).Should().ContainSingle("the object stays for the record still kept in it");
        (await ArchiveKeyAsync(scenario, gone.Id)).Should().BeFalse("the purged record's entry can never be opened again");
        (await ArchiveKeyAsync(scenario, kept.Id)).Should().BeTrue();
        (await scenario.KekExistsAsync(subjectRef)).Should().BeTrue("the kept record is sealed under it inside the archive");
        var certificate = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync();
        certificate.GetProperty("certificate").GetProperty("methods").GetProperty("cryptoShred").GetString().Should().Be("kek-kept");
    }

    /// <summary>Whether the item still holds the key of its entry in an archived object (raw read of the Inventory table).</summary>
    private async Task<bool> ArchiveKeyAsync(ErasureScenario scenario, string itemId)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var item = await dynamo.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
        {
            TableName = ResourceNames.FromEnvironment().Table(ResourceCatalog.Inventory),
            Key = Lethe.Aws.Catalog.DynamoKeys.Of(scenario.Tenant, $"ITEM#{itemId}"),
            ConsistentRead = true,
        }, Ct);
        return item.Item.ContainsKey("archiveKey");
    }

    [Fact]
    public async Task Archive_settings_name_every_bad_field_and_a_rejected_request_changes_nothing()
    {
        var scenario = await TenantAsync("rav");
        var before = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/settings", Ct)).ReadJsonAsync();

        var rejected = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/archive", new Dictionary<string, object>
        {
            ["categories"] = new Dictionary<string, object?>
            {
                ["journal"] = new { after = "P30D", tier = "GLACIER" },
                ["insight"] = new { after = "P1Y", tier = "TAPE" },
                ["Bad-Name"] = new { after = "P1Y", tier = "GLACIER" },
                ["invoice"] = new { after = "P120D", tier = "DEEP_ARCHIVE" },
                ["note"] = new { after = "P8Y", tier = "GLACIER" },
            },
        }, Ct);

        rejected.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await rejected.ReadJsonAsync()).GetProperty("errors");
        errors.EnumerateObject().Select(e => e.Name).Should().BeEquivalentTo(
            ["categories.journal.after", "categories.insight.tier", "categories.Bad-Name", "categories.invoice.after", "categories.note.after"]);
        var after = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/settings", Ct)).ReadJsonAsync();
        after.GetProperty("archive").GetRawText().Should().Be(before.GetProperty("archive").GetRawText());
        after.GetProperty("archive").GetProperty("categories").GetProperty("transcript").GetProperty("tier").GetString().Should().Be("GLACIER");
        (await scenario.Service.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/archive", new { categories = new { } }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden, "only a tenant admin changes settings");

        var cleared = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/archive", new { categories = new { } }, Ct);
        cleared.StatusCode.Should().Be(HttpStatusCode.OK);
        (await cleared.ReadJsonAsync()).GetProperty("archive").GetProperty("categories").EnumerateObject().Should().BeEmpty("an empty map archives nothing");
        (await cloud.JournalActionsAsync(scenario.Tenant, Ct)).Should().Contain("settings.archive.update");
    }
}
