using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Amazon.KeyManagementService.Model;
using Amazon.S3.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Exports;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Offboarding;

/// <summary>
/// POST …/offboard end to end (issue 15): workflows/tenant-offboarding.asl.json in moto drains the tenant's jobs, packages its
/// final export, purges every table partition and bucket prefix of the tenant (every version), schedules its key for deletion,
/// signs the tenant-offboarding certificate and terminates the tenant, while another tenant is left exactly as it was.
/// </summary>
public sealed class TenantOffboardingTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    /// <summary>Seven days of download window become about ten seconds, ninety days of deadline about two minutes.</summary>
    private const int OffboardingScale = 7 * 86_400 / 10;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Replica => Environment.GetEnvironmentVariable(Variables.DataReplicaBucket)!;

    /// <summary>Every item of every table whose partition is the tenant's, as "Table sk".</summary>
    /// <summary>Whether the topic has a subscription of <paramref name="email"/>, read until it is <paramref name="expected"/> or 30 s passed.</summary>
    private async Task<bool> OfficerSubscribedAsync(string topic, string email, bool expected)
    {
        var subscribed = !expected;
        for (var attempt = 0; attempt < 300 && subscribed != expected; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
            }

            subscribed = (await cloud.Cloud.Sns.ListSubscriptionsAsync(topic, Ct)).Any(s => s.Endpoint == email);
        }

        return subscribed;
    }

    private async Task<List<string>> TableItemsAsync(string tenant)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var names = ResourceNames.FromEnvironment();
        var found = new List<string>();
        foreach (var table in ResourceCatalog.Tables)
        {
            Dictionary<string, AttributeValue>? start = null;
            do
            {
                // A scan, not a query: anything of the tenant under any key of any table counts.
                var page = await dynamo.ScanAsync(new ScanRequest
                {
                    TableName = names.Table(table),
                    FilterExpression = "begins_with(pk, :tenant)",
                    ExpressionAttributeValues = new() { [":tenant"] = new() { S = $"TENANT#{tenant}" } },
                    ExclusiveStartKey = start,
                    ConsistentRead = true,
                }, Ct);
                found.AddRange(page.Items.Where(i => i["pk"].S == $"TENANT#{tenant}" || i["pk"].S.StartsWith($"TENANT#{tenant}#", StringComparison.Ordinal))
                    .Select(i => $"{table.LogicalName} {i["sk"].S}"));
                start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
            }
            while (start is not null);
        }

        return found;
    }

    /// <summary>Every version and delete marker under the tenant's prefix in every bucket and the replica, as "Bucket key".</summary>
    private async Task<List<string>> ObjectVersionsAsync(string tenant)
    {
        using var s3 = cloud.Cloud.CreateS3Client();
        var names = ResourceNames.FromEnvironment();
        var found = new List<string>();
        foreach (var (logical, bucket) in ResourceCatalog.Buckets.Select(b => (b.LogicalName, names.Bucket(b))).Append(("DataReplica", Replica)))
        {
            // Certificates live under certificates/{tenant}/…: the prefix of the tenant's own data is {tenant}/ in every bucket.
            var listed = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = $"{tenant}/" }, Ct);
            found.AddRange((listed.Versions ?? []).Select(v => $"{logical} {v.Key} {v.VersionId}"));
        }

        return found;
    }

    private static async Task<JsonElement> WaitForAsync(HttpClient platform, string tenant, string jobId, Func<JsonElement, bool> done)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(150));
        while (true)
        {
            var job = await (await platform.GetAsync($"/v1/tenants/{tenant}/requests/{jobId}", Ct)).ReadJsonAsync();
            if (done(job))
            {
                return job;
            }

            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Offboarding {jobId} did not get there in time; last seen: {job}");
            }

            await Task.Delay(150, Ct);
        }
    }

    [Fact]
    public async Task Offboarding_a_tenant_leaves_none_of_its_data_schedules_its_key_certifies_and_answers_410_while_another_tenant_is_untouched()
    {
        var leaving = await ErasureScenario.CreateAsync(api, cloud, "offb", OffboardingScale);
        await leaving.SeedAsync("anna", fileVersions: 3);
        await leaving.SeedAsync("bruno", fileVersions: 2);
        using var s3 = cloud.Cloud.CreateS3Client();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Replica, Key = leaving.Files["anna"].Key, ContentBody = "replicated copy" }, Ct);
        // A completed export (a volume in the exports bucket, a job) and an erasure still in its recovery window (cancelled by the drain).
        var export = await leaving.Admin.PostAsJsonAsync($"/v1/tenants/{leaving.Tenant}/requests", new { type = "export", subjectId = "anna", reason = "copy", format = "zip" }, Ct);
        var exportId = (await export.ReadJsonAsync()).GetProperty("id").GetString()!;
        await leaving.WaitForJobAsync(exportId, ErasureScenario.IsClosed);
        var pendingErasure = (await (await leaving.SubmitErasureAsync("bruno")).ReadJsonAsync()).GetProperty("id").GetString()!;
        ErasureScenario.IsClosed(await leaving.JobAsync(pendingErasure)).Should().BeFalse("the drain finds it open");
        var staying = await ErasureScenario.CreateAsync(api, cloud, "stay");
        await staying.SeedAsync("carl", fileVersions: 2);
        // The other tenant's audit trail grows on its own (reads are audited, the chainer links): its data must not change.
        var stayingItems = (await TableItemsAsync(staying.Tenant)).Where(i => !i.StartsWith("Audit ", StringComparison.Ordinal)).ToList();
        var stayingVersions = await ObjectVersionsAsync(staying.Tenant);
        (await TableItemsAsync(leaving.Tenant)).Should().Contain(i => i.StartsWith("Keys KEK#", StringComparison.Ordinal), "the tenant has KEKs to lose");
        (await ObjectVersionsAsync(leaving.Tenant)).Should().Contain(v => v.StartsWith("Exports ", StringComparison.Ordinal)).And.Contain(v => v.StartsWith("DataReplica ", StringComparison.Ordinal));
        using var kms = cloud.Cloud.CreateKmsClient();
        var tenantKey = (await (await leaving.Admin.GetAsync($"/v1/tenants/{leaving.Tenant}/settings", Ct)).ReadJsonAsync()).GetProperty("key").GetProperty("arn").GetString()!;
        await using var inbox = await NoticeInbox.SubscribeAsync(cloud);
        using var platform = api.ClientWithTokenNoRedirects("platform", Roles.PlatformAdmin, "operator-1");
        // The tenant's privacy officer hears its notices by e-mail: the subscription goes with the tenant.
        var topic = cloud.Cloud.Environment[Lethe.Catalog.ResourceCatalog.Notifications.ArnVariable];
        var officer = $"dpo+{leaving.Tenant}@example.com";
        (await leaving.Admin.PutAsJsonAsync($"/v1/tenants/{leaving.Tenant}/settings/requests", new { notifications = new { emails = new[] { officer } } }, Ct)).EnsureSuccessStatusCode();
        (await OfficerSubscribedAsync(topic, officer, expected: true)).Should().BeTrue("subscribed before the offboarding");

        var started = await platform.PostAsJsonAsync($"/v1/tenants/{leaving.Tenant}/offboard", new { finalExport = true }, Ct);
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync(Ct));
        var offboarding = await started.ReadJsonAsync();
        var jobId = offboarding.GetProperty("id").GetString()!;
        offboarding.GetProperty("type").GetString().Should().Be("tenant-offboarding");
        var again = await platform.PostAsJsonAsync($"/v1/tenants/{leaving.Tenant}/offboard", new { finalExport = false }, Ct);
        // While it waits to download, the tenant refuses changes and the final export holds both subjects.
        var window = await WaitForAsync(platform, leaving.Tenant, jobId, j => j.GetProperty("phase").GetString() is "download-window" or "purge" or "done" || ErasureScenario.IsClosed(j));
        window.GetProperty("phase").GetString().Should().Be("download-window", window.ToString());
        var refusedWrite = await leaving.Service.PostAsJsonAsync($"/v1/tenants/{leaving.Tenant}/subjects/dora/records", new { category = "note", fields = new { text = "too late" } }, Ct);
        var volumes = new List<Dictionary<string, byte[]>>();
        for (var part = 1; part <= window.GetProperty("download").GetProperty("parts").GetInt32(); part++)
        {
            volumes.Add(ExportTests.Unzip(await ExportTests.DownloadAsync(platform, leaving.Tenant, jobId, part)));
        }

        using var tenantAdminDownload = api.ClientWithTokenNoRedirects(leaving.Tenant, Roles.TenantAdmin, "admin-ines");
        var notPlatform = await tenantAdminDownload.GetAsync($"/v1/tenants/{leaving.Tenant}/requests/{jobId}/download?part=1", Ct);
        var job = await WaitForAsync(platform, leaving.Tenant, jobId, ErasureScenario.IsClosed);

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        again.StatusCode.Should().Be(HttpStatusCode.Conflict, "one offboarding at a time");
        refusedWrite.StatusCode.Should().Be(HttpStatusCode.Conflict, await refusedWrite.Content.ReadAsStringAsync(Ct));
        (await refusedWrite.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/tenant-offboarding");
        notPlatform.StatusCode.Should().Be(HttpStatusCode.Forbidden, "the whole tenant's data is a platform admin's to download");
        var exported = volumes.SelectMany(v => v.Where(e => e.Key == "records.json").SelectMany(e => JsonDocument.Parse(e.Value).RootElement.EnumerateArray()))
            .Select(r => r.GetProperty("id").GetString()).ToList();
        // Bruno's items were hidden by his erasure (superseded, not undone, by the offboarding): a copy of them is never handed out.
        exported.Should().BeEquivalentTo(leaving.Records["anna"], "the final export holds every active record of every subject");
        volumes.SelectMany(v => v.Keys).Should().Contain(k => k.StartsWith("files/", StringComparison.Ordinal));

        // Nothing of the tenant is left in any table but its own item, the offboarding job and the scrub it started (and the
        // audit trail, which stays; the tenant.offboarded notice is journaled there, not put in a purged tenant's outbox); no
        // version or delete marker under its prefix in any bucket or the replica.
        var scrubId = Lethe.Domain.BackupScrub.BackupScrubRequests.IdFor(jobId);
        (await TableItemsAsync(leaving.Tenant)).Where(i => !i.StartsWith("Audit ", StringComparison.Ordinal))
            .Should().BeEquivalentTo(["Tenants PROFILE", $"Jobs JOB#{jobId}", $"Jobs JOB#{scrubId}"]);
        (await ObjectVersionsAsync(leaving.Tenant)).Should().BeEmpty();
        (await OfficerSubscribedAsync(topic, officer, expected: false)).Should().BeFalse("a terminated tenant's staff hear nothing more");
        (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = tenantKey }, Ct)).KeyMetadata.KeyState.Value.Should().Be("PendingDeletion");
        job.GetProperty("counts").GetProperty("purged").GetInt64().Should().BeGreaterThan(20);

        // Terminated: 410 everywhere, to every role; the platform admin still reads the offboarding and its certificate. A fresh
        // API (no tenant cached from before the end) answers as every instance does once its cache has caught up.
        using var fresh = new LetheApiFactory();
        using var freshAdmin = fresh.ClientWithToken(leaving.Tenant, Roles.TenantAdmin, "admin-ines");
        using var freshService = fresh.ClientWithToken(leaving.Tenant, Roles.Service, "coaching-app");
        using var freshPlatform = fresh.PlatformAdmin();
        (await freshAdmin.GetAsync($"/v1/tenants/{leaving.Tenant}/requests/{jobId}", Ct)).StatusCode.Should().Be(HttpStatusCode.Gone);
        (await freshService.GetAsync($"/v1/tenants/{leaving.Tenant}/subjects/anna/records", Ct)).StatusCode.Should().Be(HttpStatusCode.Gone);
        (await freshPlatform.GetAsync($"/v1/tenants/{leaving.Tenant}/settings", Ct)).StatusCode.Should().Be(HttpStatusCode.Gone);
        (await freshPlatform.PutAsJsonAsync($"/v1/tenants/{leaving.Tenant}", new { name = "back again" }, Ct)).StatusCode.Should().Be(HttpStatusCode.Gone);
        (await freshPlatform.PostAsJsonAsync($"/v1/tenants/{leaving.Tenant}/offboard", new { finalExport = false }, Ct)).StatusCode.Should().Be(HttpStatusCode.Gone);
        (await freshPlatform.GetAsync($"/v1/tenants/{leaving.Tenant}/requests/{jobId}", Ct)).StatusCode.Should().Be(HttpStatusCode.OK, "the record of the offboarding stays");
        var chain = await (await freshPlatform.GetAsync($"/v1/tenants/{leaving.Tenant}/audit/verify?from=0", Ct)).ReadJsonAsync();
        chain.GetProperty("valid").GetBoolean().Should().BeTrue(chain.ToString());
        var signed = await (await freshPlatform.GetAsync($"/v1/tenants/{leaving.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync();
        var claims = signed.GetProperty("certificate");
        claims.GetProperty("type").GetString().Should().Be("tenant-offboarding");
        claims.GetProperty("requestId").GetString().Should().Be(jobId);
        claims.GetProperty("deadlineMet").GetString().Should().Be("yes");
        claims.GetProperty("keys").GetProperty("tenantKey").GetString().Should().Be("deletion-scheduled");
        claims.GetProperty("keys").GetProperty("scheduledForDeletion").EnumerateArray().Select(k => k.GetString()).Should().Contain(tenantKey[(tenantKey.LastIndexOf('/') + 1)..]);
        claims.GetProperty("counts").GetProperty("itemsDeleted").GetInt64().Should().Be(job.GetProperty("counts").GetProperty("purged").GetInt64());
        claims.GetProperty("counts").GetProperty("byStore").GetProperty("Keys").GetInt64().Should().BeGreaterThanOrEqualTo(2, "both subjects' KEKs");
        claims.GetProperty("finalExport").GetProperty("volumes").GetInt32().Should().Be(volumes.Count);
        using var anonymous = api.CreateClient();
        var pem = await anonymous.GetStringAsync("/v1/certificates/public-key", Ct);
        (await ErasureEndToEndTests.VerifyWithCliAsync(signed.GetRawText(), pem)).Should().Be((0, "valid"));
        var notice = await inbox.NextAsync(n => n.GetProperty("tenantId").GetString() == leaving.Tenant && n.GetProperty("event").GetString() == "tenant.offboarded");
        notice.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(["event", "tenantId", "requestId", "at", "certificateId", "tenantKey"], "a notice carries ids, never content");
        notice.GetProperty("tenantKey").GetString().Should().Be("deletion-scheduled");

        // The other tenant: every item and version as it was, its records readable.
        (await TableItemsAsync(staying.Tenant)).Where(i => !i.StartsWith("Audit ", StringComparison.Ordinal)).Should().BeEquivalentTo(stayingItems);
        (await ObjectVersionsAsync(staying.Tenant)).Should().BeEquivalentTo(stayingVersions);
        (await staying.GetRecordAsync("carl", 0)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_byok_tenant_is_told_to_delete_its_own_key_which_stays_enabled()
    {
        using var kms = cloud.Cloud.CreateKmsClient();
        var tenant = $"byokoff-{Guid.NewGuid():N}"[..24];
        var own = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "customer key" }, Ct)).KeyMetadata.Arn;
        using var platform = api.PlatformAdmin();
        (await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "BYOK tenant", keyArn = own, timeScale = ErasureScenario.FastScale }, Ct)).EnsureSuccessStatusCode();
        using var service = api.ClientWithToken(tenant, Roles.Service, "coaching-app");
        (await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/eva/records", new { category = "journal", fields = new { text = "dear diary" } }, Ct)).StatusCode.Should().Be(HttpStatusCode.Created);
        await using var inbox = await NoticeInbox.SubscribeAsync(cloud);

        var started = await platform.PostAsJsonAsync($"/v1/tenants/{tenant}/offboard", new { finalExport = false }, Ct);
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync(Ct));
        var jobId = (await started.ReadJsonAsync()).GetProperty("id").GetString()!;
        var job = await WaitForAsync(platform, tenant, jobId, ErasureScenario.IsClosed);

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        var claims = (await (await platform.GetAsync($"/v1/tenants/{tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync()).GetProperty("certificate");
        claims.GetProperty("keys").GetProperty("tenantKey").GetString().Should().Be("delete-your-own-key");
        claims.GetProperty("keys").GetProperty("byokKeyArn").GetString().Should().Be(own);
        claims.GetProperty("keys").GetProperty("byokNotice").GetString().Should().Contain("Schedule its deletion");
        claims.GetProperty("finalExport").GetProperty("state").GetString().Should().Be("not-requested");
        (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = own }, Ct)).KeyMetadata.KeyState.Value.Should().Be("Enabled", "Lethe never deletes a key the tenant owns");
        var notice = await inbox.NextAsync(n => n.GetProperty("tenantId").GetString() == tenant && n.GetProperty("event").GetString() == "tenant.offboarded");
        notice.GetProperty("tenantKey").GetString().Should().Be("delete-your-own-key");
        (await TableItemsAsync(tenant)).Should().NotContain(i => i.StartsWith("Keys ", StringComparison.Ordinal) || i.StartsWith("Records ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tenant_under_a_legal_hold_is_not_offboarded_and_keeps_working()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "offhold");
        await scenario.SeedAsync("fritz", fileVersions: 1);
        (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "fritz", reason = "litigation 2026-114" }, Ct)).EnsureSuccessStatusCode();
        var before = await TableItemsAsync(scenario.Tenant);
        using var platform = api.PlatformAdmin();

        var refused = await platform.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/offboard", new { finalExport = false }, Ct);

        refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await refused.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/legal-hold-active");
        (await TableItemsAsync(scenario.Tenant)).Where(i => !i.StartsWith("Audit ", StringComparison.Ordinal))
            .Should().BeEquivalentTo(before.Where(i => !i.StartsWith("Audit ", StringComparison.Ordinal)), "nothing was started or changed");
        (await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/fritz/records", new { category = "note", fields = new { text = "still here" } }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Only_a_platform_admin_offboards_and_a_malformed_body_changes_nothing()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "offauth");
        await scenario.SeedAsync("gina", fileVersions: 1);
        using var platform = api.PlatformAdmin();
        using var otherTenantAdmin = api.ClientWithToken("some-other-tenant", Roles.TenantAdmin, "admin-x");

        var byTenantAdmin = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/offboard", new { finalExport = false }, Ct);
        var byStranger = await otherTenantAdmin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/offboard", new { finalExport = false }, Ct);
        var malformed = await platform.PostAsync($"/v1/tenants/{scenario.Tenant}/offboard", new StringContent("{\"finalExport\":\"yes\"}", System.Text.Encoding.UTF8, "application/json"), Ct);
        var misspelt = await platform.PostAsync($"/v1/tenants/{scenario.Tenant}/offboard", new StringContent("{\"finalExports\":true}", System.Text.Encoding.UTF8, "application/json"), Ct);

        byTenantAdmin.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        byStranger.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        malformed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        misspelt.StatusCode.Should().Be(HttpStatusCode.BadRequest, "a misspelt finalExport must not start a purge without the export");
        var jobs = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?type=tenant-offboarding", Ct)).ReadJsonAsync();
        jobs.GetProperty("items").GetArrayLength().Should().Be(0);
        (await scenario.GetRecordAsync("gina", 0)).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
