using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Jobs;
using Lethe.Domain.Jobs;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;
using Microsoft.VisualBasic.FileIO;

namespace Lethe.Tests.Integration.Exports;

/// <summary>
/// Export requests end to end: API → Step Functions (moto) running workflows/export.asl.json → our handlers → DynamoDB, KMS and
/// an S3 multipart upload → the audited download. The fixture cuts volumes at three items, so these exports span several.
/// </summary>
public sealed class ExportTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_export_round_trips_every_record_decrypted_and_every_file_and_names_the_downloader_in_the_audit()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exp", timeScale: 1);
        await scenario.SeedAsync("anna", fileVersions: 2);
        await scenario.SeedAsync("bruno");
        var annaRef = await scenario.SubjectRefAsync("anna");

        var job = await SubmitAndCompleteAsync(scenario, "anna", "zip");

        var parts = job.GetProperty("download").GetProperty("parts").GetInt32();
        parts.Should().Be(2, "four items (three records and a file) at three items per volume");
        job.GetProperty("download").GetProperty("expiresAt").GetDateTimeOffset().Should().BeCloseTo(DateTimeOffset.UtcNow.AddDays(7), TimeSpan.FromMinutes(5));
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        var volumes = new List<Dictionary<string, byte[]>>();
        for (var part = 1; part <= parts; part++)
        {
            volumes.Add(Unzip(await DownloadAsync(admin, scenario.Tenant, job.GetProperty("id").GetString()!, part)));
        }

        foreach (var volume in volumes)
        {
            using var manifest = JsonDocument.Parse(volume["manifest.json"]);
            manifest.RootElement.GetProperty("subjectRef").GetString().Should().Be(annaRef);
            foreach (var entry in manifest.RootElement.GetProperty("entries").EnumerateArray())
            {
                var bytes = volume[entry.GetProperty("path").GetString()!];
                entry.GetProperty("size").GetInt64().Should().Be(bytes.Length);
                entry.GetProperty("sha256").GetString().Should().Be(Convert.ToHexStringLower(SHA256.HashData(bytes)));
            }

            foreach (var csv in volume.Where(e => e.Key.EndsWith(".csv", StringComparison.Ordinal)))
            {
                ParseCsv(csv.Value).Should().OnlyContain(row => row.Length == ParseCsv(csv.Value)[0].Length, $"{csv.Key} is rectangular RFC 4180");
            }

            volume.Values.Should().NotContain(bytes => Encoding.UTF8.GetString(bytes).Contains("bruno", StringComparison.Ordinal), "nothing of the other subject is exported");
        }

        var records = volumes.SelectMany(v => JsonDocument.Parse(v["records.json"]).RootElement.EnumerateArray()).ToList();
        records.Select(r => r.GetProperty("id").GetString()).Should().BeEquivalentTo(scenario.Records["anna"]);
        records.Select(r => r.GetProperty("fields").EnumerateObject().Single().Value.GetString()).Should().BeEquivalentTo(
            ["Coach: hello anna. Client: call me on +44 20 7946 0958", "Second session of anna", "Plain note about anna"],
            "field-encrypted transcripts come out decrypted, equal to what was written");
        var file = volumes.SelectMany(v => v).Single(e => e.Key.StartsWith("files/", StringComparison.Ordinal));
        file.Key.Should().Be($"files/{scenario.Files["anna"].ItemId}/session-audio.txt");
        Encoding.UTF8.GetString(file.Value).Should().Be("version 2 of anna's recording", "the current version is exported");
        using (var consents = JsonDocument.Parse(volumes[0]["consents.json"]))
        {
            consents.RootElement[0].GetProperty("purpose").GetString().Should().Be("ai-processing");
        }

        using var s3 = cloud.Cloud.CreateS3Client();
        var stored = await s3.GetObjectMetadataAsync(ResourceNames.FromEnvironment().Bucket(ResourceCatalog.Exports), $"{scenario.Tenant}/{job.GetProperty("id").GetString()}/part-0001.zip", Ct);
        stored.ServerSideEncryptionMethod.Value.Should().Be("aws:kms");
        stored.ServerSideEncryptionKeyManagementServiceKeyId.Should().Contain(await TenantKeyIdAsync(scenario.Tenant), "volumes are encrypted under the tenant's key");

        var downloads = await scenario.AuditEventuallyAsync("export.download", parts);
        downloads.Should().OnlyContain(e => e.GetProperty("actor").GetProperty("sub").GetString() == "admin-ines" && e.GetProperty("outcome").GetString() == "success");
    }

    [Fact]
    public async Task A_subject_downloads_its_own_export_and_gets_404_for_another_subjects()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exs", timeScale: 1);
        await scenario.SeedAsync("carla", fileVersions: 1);
        var job = await SubmitAndCompleteAsync(scenario, "carla", "json");
        var jobId = job.GetProperty("id").GetString()!;
        using var carla = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.Subject, "carla");
        using var dario = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.Subject, "dario");

        using var document = JsonDocument.Parse(await DownloadAsync(carla, scenario.Tenant, jobId, 1));
        var other = await dario.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/download", Ct);

        document.RootElement.GetProperty("records").GetArrayLength().Should().Be(3);
        document.RootElement.GetProperty("files")[0].GetProperty("sha256").GetString().Should()
            .Be(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("version 1 of carla's recording"))));
        job.GetProperty("download").GetProperty("parts").GetInt32().Should().Be(1, "format json is one document");
        other.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(Roles.Auditor)]
    [InlineData(Roles.Service)]
    public async Task A_token_with_the_subject_role_and_a_role_that_may_not_download_gets_only_its_own_subjects_export(string otherRole)
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exm", timeScale: 1);
        await scenario.SeedAsync("bea", fileVersions: 1);
        await scenario.SeedAsync("cem", fileVersions: 1);
        var beas = (await SubmitAndCompleteAsync(scenario, "bea", "json")).GetProperty("id").GetString()!;
        var cems = (await SubmitAndCompleteAsync(scenario, "cem", "json")).GetProperty("id").GetString()!;
        using var cem = api.ClientWithRoles(scenario.Tenant, [Roles.Subject, otherRole], "cem", followRedirects: false);

        var others = await cem.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{beas}/download", Ct);
        var own = await cem.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{cems}/download", Ct);

        others.StatusCode.Should().Be(HttpStatusCode.Forbidden, $"the {otherRole} role lets the token see the request, never download another subject's data");
        own.StatusCode.Should().Be(HttpStatusCode.Redirect, await own.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_download_from_another_tenant_is_refused_and_audits_nothing_there()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "ext", timeScale: 1);
        await scenario.SeedAsync("emil", fileVersions: 1);
        var jobId = (await SubmitAndCompleteAsync(scenario, "emil", "csv")).GetProperty("id").GetString()!;
        using var foreignAdmin = api.ClientWithTokenNoRedirects("some-other-tenant", Roles.TenantAdmin, "admin-x");

        var refused = await foreignAdmin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/download", Ct);
        var unknown = await foreignAdmin.GetAsync($"/v1/tenants/some-other-tenant/requests/{jobId}/download", Ct);

        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_link_answers_410_once_its_7_days_have_passed_on_the_tenants_time_scale()
    {
        // 7 days become 3 seconds.
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exx", timeScale: 7 * 86_400 / 3);
        await scenario.SeedAsync("fiona", fileVersions: 1);
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        var job = await SubmitAndCompleteAsync(scenario, "fiona", "zip");
        var expiresAt = job.GetProperty("download").GetProperty("expiresAt").GetDateTimeOffset();

        var remaining = expiresAt - DateTimeOffset.UtcNow;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining + TimeSpan.FromMilliseconds(100), Ct);
        }

        var gone = await admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{job.GetProperty("id").GetString()}/download", Ct);
        gone.StatusCode.Should().Be(HttpStatusCode.Gone);
        (await gone.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/export-expired");
    }

    [Fact]
    public async Task A_cancelled_export_stays_cancelled_and_never_offers_a_download()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exc", timeScale: 1);
        await scenario.SeedAsync("gus", fileVersions: 1);
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        var jobId = (await (await SubmitExportAsync(scenario, "gus", "zip")).ReadJsonAsync()).GetProperty("id").GetString()!;

        var cancelled = await admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct);
        var early = await admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/download", Ct);

        cancelled.StatusCode.Should().Be(HttpStatusCode.OK, await cancelled.Content.ReadAsStringAsync(Ct));
        early.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await early.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/export-not-ready");
        var machine = cloud.Cloud.Environment[ResourceNames.WorkflowVariable("export")];
        await cloud.Cloud.StepFunctions.WaitUntilClosedAsync(StepFunctionsWorkflowStarter.ExecutionArn(machine, $"{jobId}-1"));
        var after = await scenario.JobAsync(jobId);
        after.GetProperty("status").GetString().Should().Be("cancelled");
        after.GetProperty("download").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Theory]
    [InlineData("docx")]
    [InlineData("ZIP")]
    public async Task An_unknown_format_is_a_400_naming_the_field_and_stores_nothing(string format)
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exf", timeScale: 1);

        var refused = await SubmitExportAsync(scenario, "hana", format);
        var listed = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?type=export", Ct)).ReadJsonAsync();

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.ReadJsonAsync()).GetProperty("errors").TryGetProperty("format", out _).Should().BeTrue();
        listed.GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task An_audit_export_delivers_the_chain_of_the_range_to_an_auditor_and_to_nobody_without_audit_rights()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exa", timeScale: 1);
        await scenario.SeedAsync("ivan", fileVersions: 1);
        var chained = await scenario.AuditEventuallyAsync("consent.grant", 1);
        var seqs = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/audit?limit=1000", Ct)).ReadJsonAsync())
            .GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList();
        using var auditor = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.Auditor, "auditor-ada");
        using var subject = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.Subject, "ivan");

        var refused = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/audit/exports", new { format = "json" }, Ct);
        var badRange = await auditor.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/audit/exports", new { from = "2026-11-02T00:00:00Z", to = "2026-11-01T00:00:00Z" }, Ct);
        var submitted = await auditor.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/audit/exports",
            new { from = "2020-01-01T00:00:00Z", to = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), format = "json" }, Ct);
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync(Ct));
        var jobId = (await submitted.ReadJsonAsync()).GetProperty("id").GetString()!;
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);
        var archive = Unzip(await DownloadAsync(auditor, scenario.Tenant, jobId, 1));
        var bySubject = await subject.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/download", Ct);

        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        badRange.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        job.GetProperty("type").GetString().Should().Be("audit-export");
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        archive.Keys.Should().BeEquivalentTo("audit.json", "manifest.json");
        using var events = JsonDocument.Parse(archive["audit.json"]);
        events.RootElement.EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).Should().Contain(seqs, "every event chained before the export is in it");
        chained.Should().NotBeEmpty();
        bySubject.StatusCode.Should().Be(HttpStatusCode.NotFound, "an audit export names no subject, so no subject token sees it");
    }

    [Fact]
    public async Task An_erasure_of_the_subject_purges_its_exports_too_and_their_links_answer_410()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exe");
        await scenario.SeedAsync("kim", fileVersions: 1);
        var jobId = (await SubmitAndCompleteAsync(scenario, "kim", "zip")).GetProperty("id").GetString()!;
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        using var s3 = cloud.Cloud.CreateS3Client();
        var bucket = ResourceNames.FromEnvironment().Bucket(ResourceCatalog.Exports);
        var key = $"{scenario.Tenant}/{jobId}/part-0001.zip";
        (await s3.GetObjectMetadataAsync(bucket, key, Ct)).HttpStatusCode.Should().Be(HttpStatusCode.OK);

        var erasure = (await (await scenario.SubmitErasureAsync("kim")).ReadJsonAsync()).GetProperty("id").GetString()!;
        var (erased, _) = await scenario.WaitForJobAsync(erasure, ErasureScenario.IsClosed);
        var download = await admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/download", Ct);

        erased.GetProperty("status").GetString().Should().Be("completed", erased.ToString());
        var gone = async () => await s3.GetObjectMetadataAsync(bucket, key, Ct);
        (await gone.Should().ThrowAsync<Amazon.S3.AmazonS3Exception>()).Which.StatusCode.Should().Be(HttpStatusCode.NotFound);
        download.StatusCode.Should().Be(HttpStatusCode.Gone);
        (await download.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/export-erased");
    }

    [Fact]
    public async Task Every_export_step_run_twice_with_the_same_input_ends_in_the_same_state()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exr", timeScale: 1);
        await scenario.SeedAsync("jana", fileVersions: 1);
        var job = await QueueExportJobAsync(scenario, "jana", "replay-test");
        var state = $$"""{"tenantId":"{{scenario.Tenant}}","jobId":"{{job.Id}}","execution":1}""";

        state = await TwiceAsync(scenario, job.Id, "export-collect", state);
        do
        {
            state = await TwiceAsync(scenario, job.Id, "export-package", state);
        }
        while (JsonDocument.Parse(state).RootElement.GetProperty("more").GetBoolean());

        await TwiceAsync(scenario, job.Id, "export-complete", state);
        var done = await scenario.JobAsync(job.Id);
        done.GetProperty("status").GetString().Should().Be("completed");
        done.GetProperty("download").GetProperty("parts").GetInt32().Should().Be(2);
        done.GetProperty("progress").GetProperty("processed").GetInt64().Should().Be(4, "three records and a file, each counted once");
        (await JournalActionsAsync(scenario.Tenant)).Where(a => a.StartsWith("export.", StringComparison.Ordinal))
            .Should().Equal("export.complete", "export.start", "export.volume", "export.volume");
    }

    [Fact]
    public async Task A_volume_is_registered_before_its_upload_so_an_erasure_opened_meanwhile_refuses_it_and_no_bytes_are_written()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exl", timeScale: 1);
        await scenario.SeedAsync("lena", fileVersions: 1);
        var job = await QueueExportJobAsync(scenario, "lena", "lock-test");
        var state = $$"""{"tenantId":"{{scenario.Tenant}}","jobId":"{{job.Id}}","execution":1}""";
        var collected = await scenario.InvokeAsync("export-collect", state);
        var erasure = (await (await scenario.SubmitErasureAsync("lena")).ReadJsonAsync()).GetProperty("id").GetString()!;

        var packaged = await scenario.InvokeAsync("export-package", collected.Payload.GetRawText());

        packaged.Failed.Should().BeTrue();
        packaged.Payload.GetProperty("errorType").GetString().Should().Be("Lethe.ErasureInProgress");
        using var s3 = cloud.Cloud.CreateS3Client();
        var listed = await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request
        {
            BucketName = ResourceNames.FromEnvironment().Bucket(ResourceCatalog.Exports), Prefix = $"{scenario.Tenant}/{job.Id}/",
        }, Ct);
        (listed.S3Objects ?? []).Should().BeEmpty("nothing is uploaded for a subject whose erasure is open");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{erasure}/cancel", null, Ct)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task An_export_after_a_cancelled_erasure_leaves_out_what_the_erasure_soft_deleted_consents_included()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exk", timeScale: 1);
        await scenario.SeedAsync("mona", fileVersions: 1);
        var erasure = await scenario.SubmitAndWaitForWindowAsync("mona");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{erasure}/cancel", null, Ct)).EnsureSuccessStatusCode();
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/mona/consents/ai-processing", new { granted = true }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.Conflict, "a grant may not revive a consent the erasure soft-deleted");
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/mona/consents/ai-processing", new { granted = false }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.OK, "a withdrawal is never refused");

        var job = await SubmitAndCompleteAsync(scenario, "mona", "json");
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        using var document = JsonDocument.Parse(await DownloadAsync(admin, scenario.Tenant, job.GetProperty("id").GetString()!, 1));

        document.RootElement.GetProperty("records").GetArrayLength().Should().Be(0);
        document.RootElement.GetProperty("consents").GetArrayLength().Should().Be(0, "a soft-deleted consent is hidden from exports like every other item");
    }

    private async Task<string> TwiceAsync(ErasureScenario scenario, string jobId, string step, string input)
    {
        var first = await scenario.InvokeAsync(step, input);
        first.Failed.Should().BeFalse($"{step} failed: {first.Payload}");
        // The notice a completion sends is recorded by an execution of its own, at its own pace: not this step's state (the
        // notification tests count it).
        async Task<string> StateAsync() =>
            $"{await scenario.JobAsync(jobId)}|{string.Join(",", (await JournalActionsAsync(scenario.Tenant)).Where(a => a != "notification.send"))}";
        var after = await StateAsync();

        var second = await scenario.InvokeAsync(step, input);

        second.Failed.Should().BeFalse($"{step} replay failed: {second.Payload}");
        second.Payload.GetRawText().Should().Be(first.Payload.GetRawText(), $"{step} answers a replay the same way");
        var again = await StateAsync();
        // updatedAt and the ETA follow the clock; everything else must not move.
        static string Stable(string text) => Regex.Replace(text, "\"(updatedAt|eta)\":(\"[^\"]*\"|null)", "");
        Stable(again).Should().Be(Stable(after), $"{step} run twice must end in the same state");
        return first.Payload.GetRawText();
    }

    /// <summary>A queued export job stored directly (no execution started), for tests that invoke its steps one by one.</summary>
    private async Task<Job> QueueExportJobAsync(ErasureScenario scenario, string subject, string requestedBy)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var store = new DynamoJobStore(dynamo, ResourceNames.FromEnvironment().Table(ResourceCatalog.Jobs), TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var job = new Job
        {
            Id = Job.NewId(now), TenantId = scenario.Tenant, Type = JobType.Export, SubjectRef = await scenario.SubjectRefAsync(subject),
            Format = "zip", Status = JobStatus.Queued, Phase = JobPhases.Collect, CreatedAt = now, UpdatedAt = now, RequestedBy = requestedBy,
        };
        (await store.CreateAsync(job, null, Ct)).Should().BeOfType<JobCreated>();
        return job;
    }

    private Task<List<string>> JournalActionsAsync(string tenant) => cloud.JournalActionsAsync(tenant, Ct);

    private async Task<string> TenantKeyIdAsync(string tenant)
    {
        using var kms = cloud.Cloud.CreateKmsClient();
        var arn = await new Lethe.Aws.Keys.KmsTenantKeys(kms, ResourceNames.KeyAliasPrefix()).GetOrCreateAsync(tenant, Ct);
        return arn.Split('/')[^1];
    }

    internal static async Task<HttpResponseMessage> SubmitExportAsync(ErasureScenario scenario, string subject, string format) =>
        await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests", new { type = "export", subjectId = subject, format }, Ct);

    internal static async Task<JsonElement> SubmitAndCompleteAsync(ErasureScenario scenario, string subject, string format)
    {
        var submitted = await SubmitExportAsync(scenario, subject, format);
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync(Ct));
        var jobId = (await submitted.ReadJsonAsync()).GetProperty("id").GetString()!;
        var (job, seen) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        seen.Select(s => s.Phase).Should().BeSubsetOf(["collect", "package", "done"], "an export shows its own phases");
        return job;
    }

    /// <summary>GET …/download answers 302 to a presigned URL valid 5 minutes; the bytes come from S3 (the local cloud) directly.</summary>
    internal static async Task<byte[]> DownloadAsync(HttpClient client, string tenant, string jobId, int part)
    {
        var redirect = await client.GetAsync($"/v1/tenants/{tenant}/requests/{jobId}/download?part={part}", Ct);
        redirect.StatusCode.Should().Be(HttpStatusCode.Redirect, await redirect.Content.ReadAsStringAsync(Ct));
        var location = redirect.Headers.Location!;
        var expires = System.Web.HttpUtility.ParseQueryString(location.Query)["X-Amz-Expires"];
        int.Parse(expires!, System.Globalization.CultureInfo.InvariantCulture).Should().BeLessThanOrEqualTo(300);
        using var s3 = new HttpClient();
        return await s3.GetByteArrayAsync(location, Ct);
    }

    internal static Dictionary<string, byte[]> Unzip(byte[] archive)
    {
        using var zip = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
        return zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var content = e.Open();
            using var copy = new MemoryStream();
            content.CopyTo(copy);
            return copy.ToArray();
        }, StringComparer.Ordinal);
    }

    private static List<string[]> ParseCsv(byte[] csv)
    {
        using var parser = new TextFieldParser(new MemoryStream(csv), Encoding.UTF8) { HasFieldsEnclosedInQuotes = true, TrimWhiteSpace = false };
        parser.SetDelimiters(",");
        var rows = new List<string[]>();
        while (!parser.EndOfData)
        {
            rows.Add(parser.ReadFields()!);
        }

        return rows;
    }
}
