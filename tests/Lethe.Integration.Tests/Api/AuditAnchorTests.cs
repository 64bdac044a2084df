using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Aws.Audit;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>Anchors: the chain head signed with the P-256 key into the Object-Lock archive, and verify starting from them.</summary>
public sealed class AuditAnchorTests : IClassFixture<LetheApiFactory>
{
    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public AuditAnchorTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(string Tenant, HttpClient Admin)> ChainOfAsync(int events)
    {
        var tenant = $"an-{Guid.NewGuid():N}"[..20];
        var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);
        await AddEventsAsync(admin, tenant, events);
        return (tenant, admin);
    }

    private static async Task AddEventsAsync(HttpClient admin, string tenant, int events)
    {
        for (var i = 0; i < events; i++)
        {
            (await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/legal-holds", new { subjectId = $"s-{Guid.NewGuid():N}", reason = "r" }, Ct)).EnsureSuccessStatusCode();
        }
    }

    private static async Task<JsonElement> VerifyAsync(HttpClient client, string tenant, string query, long records)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var verify = await HttpJson.ReadJsonAsync(await client.GetAsync($"/v1/tenants/{tenant}/audit/verify{query}", Ct));
            if (!verify.GetProperty("valid").GetBoolean() || verify.GetProperty("records").GetInt64() >= records || deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                return verify;
            }

            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task An_anchor_signs_the_head_and_verify_then_starts_from_it()
    {
        var (tenant, admin) = await ChainOfAsync(3);
        await VerifyAsync(admin, tenant, "?from=0", 3);

        var anchor = await HttpJson.ReadJsonAsync(await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct));
        await AddEventsAsync(admin, tenant, 2);
        // After the anchor: its own audit event (audit.anchor) and the two new holds.
        var fromAnchor = await VerifyAsync(admin, tenant, string.Empty, 3);
        var whole = await VerifyAsync(admin, tenant, "?from=0", 6);

        anchor.GetProperty("seq").GetInt64().Should().Be(3);
        (fromAnchor.GetProperty("valid").GetBoolean(), fromAnchor.GetProperty("from").GetInt64(), fromAnchor.GetProperty("records").GetInt64(), fromAnchor.GetProperty("anchors").GetInt32())
            .Should().Be((true, 4L, 3L, 1));
        (whole.GetProperty("valid").GetBoolean(), whole.GetProperty("records").GetInt64()).Should().Be((true, 6L));
        var events = (await (await admin.GetAsync($"/v1/tenants/{tenant}/audit", Ct)).ReadJsonAsync()).GetProperty("items").EnumerateArray().ToList();
        events[3].GetProperty("action").GetString().Should().Be("audit.anchor");
        var payload = Convert.FromBase64String(anchor.GetProperty("payload").GetString()!);
        using var signed = JsonDocument.Parse(payload);
        signed.RootElement.GetProperty("hash").GetString().Should().Be(anchor.GetProperty("hash").GetString());
    }

    [Fact]
    public async Task Tampering_before_the_anchor_is_found_by_a_full_verify()
    {
        var (tenant, admin) = await ChainOfAsync(3);
        await VerifyAsync(admin, tenant, "?from=0", 3);
        (await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct)).EnsureSuccessStatusCode();
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();

        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = ResourceNames.FromEnvironment().Table(ResourceCatalog.Audit),
            Key = new() { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = DynamoAuditChainStore.ChainKey(1) } },
            UpdateExpression = "SET outcome = :o",
            ExpressionAttributeValues = new() { [":o"] = new() { S = "denied" } },
        }, Ct);
        var whole = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/audit/verify?from=0", Ct));

        (whole.GetProperty("valid").GetBoolean(), whole.GetProperty("brokenAt").GetInt64()).Should().Be((false, 1L));
    }

    [Fact]
    public async Task A_forged_anchor_fails_verification()
    {
        var (tenant, admin) = await ChainOfAsync(2);
        await VerifyAsync(admin, tenant, "?from=0", 2);
        (await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct)).EnsureSuccessStatusCode();
        using var s3 = _cloud.Cloud.CreateS3Client();
        var bucket = ResourceNames.FromEnvironment().Bucket(ResourceCatalog.AuditArchive);
        var key = $"anchors/{tenant}/000000000002.json";
        using var original = await s3.GetObjectAsync(bucket, key, Ct);
        var document = JsonDocument.Parse(original.ResponseStream).RootElement;
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(document.GetProperty("payload").GetString()!));
        var forged = payload.Replace("\"seq\":2", "\"seq\":1", StringComparison.Ordinal);

        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            ContentBody = document.GetRawText().Replace(document.GetProperty("payload").GetString()!, Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(forged)), StringComparison.Ordinal),
        }, Ct);
        var verify = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/audit/verify", Ct));

        verify.GetProperty("valid").GetBoolean().Should().BeFalse();
        verify.GetProperty("reason").GetString().Should().Contain("invalid signature");
    }

    [Fact]
    public async Task Deleting_the_chains_tail_and_rewinding_its_head_is_found_by_the_anchor_at_any_from()
    {
        var (tenant, admin) = await ChainOfAsync(4);
        await VerifyAsync(admin, tenant, "?from=0", 4);
        (await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Created);
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        var table = ResourceNames.FromEnvironment().Table(ResourceCatalog.Audit);
        var third = await dynamo.GetItemAsync(table, new() { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = DynamoAuditChainStore.ChainKey(2) } }, Ct);

        // The attacker removes events 3 and 4 and moves the head back to event 2, so the chain alone looks whole.
        foreach (var seq in new long[] { 3, 4 })
        {
            await dynamo.DeleteItemAsync(table, new() { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = DynamoAuditChainStore.ChainKey(seq) } }, Ct);
        }

        await dynamo.PutItemAsync(table, new()
        {
            ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = "CHAINHEAD" }, ["seq"] = new() { N = "2" }, ["hash"] = third.Item["hash"],
        }, Ct);
        var whole = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/audit/verify?from=0", Ct));
        var fromTwo = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/audit/verify?from=2", Ct));
        var byDefault = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/audit/verify", Ct));

        foreach (var verify in new[] { whole, fromTwo, byDefault })
        {
            verify.GetProperty("valid").GetBoolean().Should().BeFalse(verify.ToString());
            verify.GetProperty("reason").GetString().Should().Contain("removed");
        }
    }

    [Fact]
    public async Task Deleting_the_tail_without_moving_the_head_breaks_verify_even_with_no_anchor()
    {
        var (tenant, admin) = await ChainOfAsync(3);
        await VerifyAsync(admin, tenant, "?from=0", 3);
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();

        await dynamo.DeleteItemAsync(ResourceNames.FromEnvironment().Table(ResourceCatalog.Audit),
            new() { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = DynamoAuditChainStore.ChainKey(3) } }, Ct);
        var verify = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/audit/verify?from=0", Ct));

        (verify.GetProperty("valid").GetBoolean(), verify.GetProperty("brokenAt").GetInt64()).Should().Be((false, 3L));
        verify.GetProperty("reason").GetString().Should().Contain("recorded head");
    }

    [Fact]
    public async Task An_anchor_signed_by_a_key_that_is_not_the_platforms_fails_verification()
    {
        var (tenant, admin) = await ChainOfAsync(2);
        await VerifyAsync(admin, tenant, "?from=0", 2);
        (await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct)).EnsureSuccessStatusCode();
        using var s3 = _cloud.Cloud.CreateS3Client();
        using var kms = _cloud.Cloud.CreateKmsClient();
        var bucket = ResourceNames.FromEnvironment().Bucket(ResourceCatalog.AuditArchive);
        var key = $"anchors/{tenant}/000000000002.json";
        using var original = await s3.GetObjectAsync(bucket, key, Ct);
        var document = JsonDocument.Parse(original.ResponseStream).RootElement;
        var attacker = await kms.CreateKeyAsync(new Amazon.KeyManagementService.Model.CreateKeyRequest
        {
            Description = "an attacker's own signing key", KeySpec = Amazon.KeyManagementService.KeySpec.ECC_NIST_P256, KeyUsage = Amazon.KeyManagementService.KeyUsageType.SIGN_VERIFY,
        }, Ct);
        var payload = JsonDocument.Parse(Convert.FromBase64String(document.GetProperty("payload").GetString()!)).RootElement;
        var forged = payload.GetRawText().Replace(payload.GetProperty("keyId").GetString()!, attacker.KeyMetadata.Arn, StringComparison.Ordinal);
        var signature = await kms.SignAsync(new Amazon.KeyManagementService.Model.SignRequest
        {
            KeyId = attacker.KeyMetadata.Arn, Message = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(forged)),
            MessageType = Amazon.KeyManagementService.MessageType.RAW, SigningAlgorithm = Amazon.KeyManagementService.SigningAlgorithmSpec.ECDSA_SHA_256,
        }, Ct);

        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            ContentBody = $$"""{"anchor":{"tenantId":"{{tenant}}","seq":2,"hash":"x","at":"x"},"payload":"{{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(forged))}}","signature":"{{Convert.ToBase64String(signature.Signature.ToArray())}}","algorithm":"ECDSA_SHA_256","keyId":"{{attacker.KeyMetadata.Arn}}"}""",
        }, Ct);
        var verify = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/audit/verify?from=0", Ct));

        verify.GetProperty("valid").GetBoolean().Should().BeFalse();
        verify.GetProperty("reason").GetString().Should().Contain("unknown key");
    }

    [Fact]
    public async Task Anchoring_an_unchanged_head_returns_the_existing_anchor_and_adds_nothing_to_the_archive_or_the_chain()
    {
        var (tenant, admin) = await ChainOfAsync(2);
        await VerifyAsync(admin, tenant, "?from=0", 2);

        var first = await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct);
        await VerifyAsync(admin, tenant, "?from=0", 3);
        var second = await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct);
        var third = await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct);

        first.StatusCode.Should().Be(HttpStatusCode.Created);
        second.StatusCode.Should().Be(HttpStatusCode.OK);
        third.StatusCode.Should().Be(HttpStatusCode.OK);
        (await second.ReadJsonAsync()).GetProperty("seq").GetInt64().Should().Be((await first.ReadJsonAsync()).GetProperty("seq").GetInt64());
        using var s3 = _cloud.Cloud.CreateS3Client();
        var stored = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = ResourceNames.FromEnvironment().Bucket(ResourceCatalog.AuditArchive), Prefix = $"anchors/{tenant}/" }, Ct);
        stored.S3Objects.Should().ContainSingle();
        var events = (await (await admin.GetAsync($"/v1/tenants/{tenant}/audit", Ct)).ReadJsonAsync()).GetProperty("items").EnumerateArray();
        events.Count(e => e.GetProperty("action").GetString() == "audit.anchor").Should().Be(1);
    }

    [Fact]
    public async Task An_anchor_cannot_be_deleted_from_the_archive()
    {
        var (tenant, admin) = await ChainOfAsync(1);
        await VerifyAsync(admin, tenant, "?from=0", 1);
        (await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct)).EnsureSuccessStatusCode();
        using var s3 = _cloud.Cloud.CreateS3Client();
        var bucket = ResourceNames.FromEnvironment().Bucket(ResourceCatalog.AuditArchive);
        var version = (await s3.GetObjectMetadataAsync(bucket, $"anchors/{tenant}/000000000001.json", Ct)).VersionId;

        var delete = () => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = $"anchors/{tenant}/000000000001.json", VersionId = version }, Ct);

        await delete.Should().ThrowAsync<AmazonS3Exception>();
    }

    [Fact]
    public async Task The_anchor_schedule_handler_anchors_the_tenants_it_is_given()
    {
        var (tenant, admin) = await ChainOfAsync(2);
        await VerifyAsync(admin, tenant, "?from=0", 2);
        using var http = new HttpClient();

        using var invoked = await http.PostAsync(new Uri(_cloud.Cloud.Endpoint, "2015-03-31/functions/audit-anchor/invocations"),
            new StringContent($$"""{"tenantIds":["{{tenant}}"]}""", System.Text.Encoding.UTF8, "application/json"), Ct);
        var result = await HttpJson.ReadJsonAsync(invoked);
        var verify = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/audit/verify", Ct));

        invoked.Headers.Contains("X-Amz-Function-Error").Should().BeFalse(result.GetRawText());
        (result.GetProperty("tenants").GetInt32(), result.GetProperty("anchored").GetInt32()).Should().Be((1, 1));
        (verify.GetProperty("valid").GetBoolean(), verify.GetProperty("from").GetInt64(), verify.GetProperty("anchors").GetInt32()).Should().Be((true, 3L, 1));
    }

    [Fact]
    public async Task Anchoring_an_empty_chain_is_a_409_and_auditors_may_not_anchor()
    {
        var tenant = $"an-{Guid.NewGuid():N}"[..20];
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);

        (await admin.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await auditor.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }
}
