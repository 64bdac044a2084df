using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Aws.BackupScrub;
using Lethe.Catalog;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.BackupScrub;

/// <summary>
/// The backup scrub of issue 15 end to end: a completed erasure starts workflows/backup-scrub.asl.json in moto, which waits out
/// the 30-day backup window on the tenant's fast time scale, deletes what is left of the purged keys in the data bucket and its
/// replica, and issues the supplemental certificate.
/// </summary>
public sealed class BackupScrubTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset Time(JsonElement element, string name) => DateTimeOffset.Parse(element.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);

    private static string Replica => Environment.GetEnvironmentVariable(Variables.DataReplicaBucket)!;

    /// <summary>Copies of a key in the replica bucket, as S3 replication would have made them (two versions).</summary>
    private static async Task ReplicateAsync(AmazonS3Client s3, string key)
    {
        foreach (var body in new[] { "replicated v1", "replicated v2" })
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = Replica, Key = key, ContentBody = body }, Ct);
        }
    }

    private static async Task<int> VersionsAsync(AmazonS3Client s3, string bucket, string key)
    {
        var listed = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = key }, Ct);
        return (listed.Versions ?? []).Count(v => v.Key == key);
    }

    private const int ScrubScale = 29 * 86_400 / 8;

    [Fact]
    public async Task An_erasures_backup_scrub_deletes_what_is_left_of_its_keys_and_certifies_within_thirty_scaled_days_naming_the_original()
    {
        // Thirty scaled days are about eight seconds here: at the default fast scale (four) the scrub's pages, under a full
        // suite's load on two cores, sometimes ended after the deadline they are certified against.
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "scrub", ScrubScale);
        await scenario.SeedAsync("anna", fileVersions: 2);
        await scenario.SeedAsync("bruno", fileVersions: 1);
        using var s3 = cloud.Cloud.CreateS3Client();
        var annaFile = scenario.Files["anna"];
        await ReplicateAsync(s3, annaFile.Key);
        await ReplicateAsync(s3, scenario.Files["bruno"].Key);
        var erasureId = (await (await scenario.SubmitErasureAsync("anna")).ReadJsonAsync()).GetProperty("id").GetString()!;
        var (erasure, _) = await scenario.WaitForJobAsync(erasureId, ErasureScenario.IsClosed);
        erasure.GetProperty("status").GetString().Should().Be("completed", erasure.ToString());
        var scrubs = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?type=backup-scrub", Ct)).ReadJsonAsync();
        var scrubId = scrubs.GetProperty("items").EnumerateArray().Should().ContainSingle().Subject.GetProperty("id").GetString()!;
        var (scrub, seen) = await scenario.WaitForJobAsync(scrubId, ErasureScenario.IsClosed);

        scrub.GetProperty("status").GetString().Should().Be("completed", scrub.ToString());
        scrub.GetProperty("sourceJobId").GetString().Should().Be(erasureId);
        seen.Select(s => s.Phase).Should().Contain("backup-window");
        (await VersionsAsync(s3, annaFile.Bucket, annaFile.Key)).Should().Be(0);
        var markers = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = annaFile.Bucket, Prefix = annaFile.Key }, Ct);
        markers.Versions.Should().BeNullOrEmpty("no version or delete marker of the purged key is left");
        (await VersionsAsync(s3, Replica, annaFile.Key)).Should().Be(0, "the replica's copies of the purged key are gone");
        (await VersionsAsync(s3, Replica, scenario.Files["bruno"].Key)).Should().Be(2, "another subject's replica copies stay");

        var listed = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{erasureId}/certificates", Ct)).ReadJsonAsync();
        var certificates = listed.GetProperty("items").EnumerateArray().ToList();
        certificates.Select(c => c.GetProperty("certificate").GetProperty("type").GetString()).Should().BeEquivalentTo(["deletion", "backup-scrub"]);
        var deletion = certificates.Single(c => c.GetProperty("certificate").GetProperty("type").GetString() == "deletion");
        var supplemental = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{scrubId}/certificate", Ct)).ReadJsonAsync();
        var claims = supplemental.GetProperty("certificate");
        claims.GetProperty("requestId").GetString().Should().Be(erasureId);
        claims.GetProperty("supplements").GetProperty("certificateId").GetString().Should().Be(deletion.GetProperty("certificate").GetProperty("certificateId").GetString());
        claims.GetProperty("supplements").GetProperty("payloadSha256").GetString().Should()
            .Be(Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(deletion.GetProperty("payload").GetString()!))));
        claims.GetProperty("counts").GetProperty("tombstonesRead").GetInt64().Should().Be(erasure.GetProperty("counts").GetProperty("purged").GetInt64());
        claims.GetProperty("counts").GetProperty("objectKeysScrubbed").GetInt64().Should().Be(1, "the file (records have no versions)");
        claims.GetProperty("counts").GetProperty("objectVersionsDeleted").GetInt64().Should().Be(0, "the purge had deleted every version in the data bucket already");
        claims.GetProperty("counts").GetProperty("replicaVersionsDeleted").GetInt64().Should().Be(2);
        claims.GetProperty("backups").GetProperty("pointInTimeRecoveryDaysMax").GetInt32().Should().Be(30);
        claims.GetProperty("backups").GetProperty("replica").GetString().Should().Be("scrubbed");
        // Within thirty scaled days of the deletion, and never before the window from before it had ended.
        var thirtyDays = TimeSpan.FromDays(30) / ScrubScale;
        Time(claims, "scrubbedAt").Should().BeBefore(Time(claims, "backupWindowEndedAt"), "the copies went first, then the window was waited out");
        Time(claims, "backupWindowEndedAt").Should().BeOnOrBefore(Time(claims, "deadline"));
        Time(claims, "deadline").Should().BeOnOrBefore(Time(erasure, "completedAt") + thirtyDays);
        Time(claims, "completedAt").Should().BeOnOrAfter(Time(claims, "backupWindowEndedAt"));
        claims.GetProperty("deadlineMet").GetString().Should().Be("yes", claims.ToString());

        using var anonymous = api.CreateClient();
        var pem = await anonymous.GetStringAsync("/v1/certificates/public-key", Ct);
        (await ErasureEndToEndTests.VerifyWithCliAsync(supplemental.GetRawText(), pem)).Should().Be((0, "valid"));
        using var key = ECDsa.Create();
        key.ImportFromPem(pem);
        key.VerifyData(Convert.FromBase64String(supplemental.GetProperty("payload").GetString()!), Convert.FromBase64String(supplemental.GetProperty("signature").GetString()!),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence).Should().BeTrue();
    }

    [Fact]
    public async Task A_backup_scrub_cannot_be_cancelled_and_a_running_one_cannot_be_retried()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "scrubc");
        await scenario.SeedAsync("carl", fileVersions: 1);
        var erasureId = (await (await scenario.SubmitErasureAsync("carl")).ReadJsonAsync()).GetProperty("id").GetString()!;
        await scenario.WaitForJobAsync(erasureId, ErasureScenario.IsClosed);
        var scrubs = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?type=backup-scrub", Ct)).ReadJsonAsync();
        var scrubId = scrubs.GetProperty("items")[0].GetProperty("id").GetString()!;
        var before = await scenario.JobAsync(scrubId);

        var cancel = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{scrubId}/cancel", null, Ct);
        var retry = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{scrubId}/retry", null, Ct);

        cancel.StatusCode.Should().Be(HttpStatusCode.Conflict, "a scrub is owed for every deletion");
        retry.StatusCode.Should().Be(HttpStatusCode.Conflict, "only a failed scrub is retried");
        before.GetProperty("type").GetString().Should().Be("backup-scrub");

        (await scenario.WaitForJobAsync(scrubId, ErasureScenario.IsClosed)).Job.GetProperty("status").GetString().Should().Be("completed");
    }

    [Fact]
    public async Task The_object_scrubber_deletes_every_version_and_delete_marker_left_of_a_purged_key_and_its_replica_copies()
    {
        using var s3 = cloud.Cloud.CreateS3Client();
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var names = Lethe.Aws.Configuration.ResourceNames.FromEnvironment();
        var data = names.Bucket(ResourceCatalog.Data);
        var tenant = $"scrubobj-{Guid.NewGuid():N}"[..20];
        var purgedKey = $"{tenant}/ref-x/file_1/late.txt";
        var keptKey = $"{tenant}/ref-y/file_2/kept.txt";
        // What a write racing the purge left: a version, then a delete marker over it; the replica's copies of both files.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = data, Key = purgedKey, ContentBody = "late copy" }, Ct);
        await s3.DeleteObjectAsync(data, purgedKey, Ct);
        await ReplicateAsync(s3, purgedKey);
        await ReplicateAsync(s3, keptKey);
        Func<string, string> table = logical => names.Table(ResourceCatalog.TableNamed(logical));
        var scrubber = new S3ObjectScrubber(
            new Lethe.Aws.Erasure.StorePurger(dynamo, s3, table, logical => names.Bucket(ResourceCatalog.BucketNamed(logical))),
            new Lethe.Aws.Erasure.StorePurger(dynamo, s3, table, _ => Replica));
        var tombstone = new Domain.Records.InventoryItem("file_1", "file", "recording", Domain.Records.ItemState.Purged,
            new Dictionary<string, string> { ["store"] = "s3", ["bucket"] = ResourceCatalog.Data.LogicalName, ["key"] = purgedKey });

        var outcome = await scrubber.ScrubAsync(tenant, [tombstone], Ct);

        outcome.Should().Be(outcome with { Keys = 1, Versions = 2, ReplicaVersions = 2 });
        outcome.Failed.Should().BeEmpty();
        var left = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = data, Prefix = purgedKey }, Ct);
        left.Versions.Should().BeNullOrEmpty();
        (await VersionsAsync(s3, Replica, purgedKey)).Should().Be(0);
        (await VersionsAsync(s3, Replica, keptKey)).Should().Be(2, "a key nobody purged keeps its copies");
    }

    [Fact]
    public async Task The_backup_inspector_reads_each_tables_recovery_period_and_the_on_demand_backups_taken_before_a_moment()
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var table = $"scrub-probe-{Guid.NewGuid():N}";
        await dynamo.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            KeySchema = [new KeySchemaElement("pk", Amazon.DynamoDBv2.KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition("pk", Amazon.DynamoDBv2.ScalarAttributeType.S)],
            BillingMode = Amazon.DynamoDBv2.BillingMode.PAY_PER_REQUEST,
        }, Ct);
        try
        {
            await dynamo.UpdateContinuousBackupsAsync(new UpdateContinuousBackupsRequest
            {
                TableName = table,
                PointInTimeRecoverySpecification = new PointInTimeRecoverySpecification { PointInTimeRecoveryEnabled = true, RecoveryPeriodInDays = 35 },
            }, Ct);
            var backup = await dynamo.CreateBackupAsync(new CreateBackupRequest { TableName = table, BackupName = "before-the-deletion" }, Ct);
            var inspector = new DynamoBackupInspector(dynamo, [table]);

            var after = await inspector.InspectAsync(DateTimeOffset.UtcNow.AddMinutes(1), Ct);
            var before = await inspector.InspectAsync(DateTimeOffset.UtcNow.AddMinutes(-10), Ct);

            after.Tables.Should().ContainSingle().Which.Should().Be(new Domain.BackupScrub.TableBackupWindow(table, true, 35));
            after.TooLong(30).Should().ContainSingle();
            after.BackupsBefore.Should().ContainSingle().Which.Should().Be(backup.BackupDetails.BackupArn);
            before.BackupsBefore.Should().BeEmpty("the backup was taken after that moment");
        }
        finally
        {
            foreach (var summary in (await dynamo.ListBackupsAsync(new ListBackupsRequest { TableName = table }, Ct)).BackupSummaries ?? [])
            {
                await dynamo.DeleteBackupAsync(new DeleteBackupRequest { BackupArn = summary.BackupArn }, Ct);
            }

            await dynamo.DeleteTableAsync(table, Ct);
        }
    }

    [Fact]
    public async Task The_catalog_tables_of_the_local_cloud_keep_point_in_time_backups_thirty_days()
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var names = Lethe.Aws.Configuration.ResourceNames.FromEnvironment();
        var report = await new DynamoBackupInspector(dynamo, ResourceCatalog.Tables.Select(names.Table).ToList()).InspectAsync(DateTimeOffset.UtcNow, Ct);

        report.Tables.Should().HaveCount(ResourceCatalog.Tables.Count).And.OnlyContain(t => t.PointInTimeRecovery && t.RecoveryPeriodDays == 30);
    }
}
