using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Amazon.KeyManagementService.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Keys;

/// <summary>
/// POST …/key/rotate end to end (issue 15): workflows/key-rotation.asl.json in moto rewraps every wrapped key under the new
/// tenant key with KMS ReEncrypt while a client keeps writing and reading, switches the tenant, and retires the old key.
/// </summary>
public sealed class KeyRotationTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> TenantAsync(string prefix, string? keyArn = null)
    {
        var tenant = $"{prefix}-{Guid.NewGuid():N}"[..24];
        using var platform = api.PlatformAdmin();
        (await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Rotation test tenant", keyArn, timeScale = ErasureScenario.FastScale }, Ct)).EnsureSuccessStatusCode();
        return tenant;
    }

    private static async Task<string> CreateRecordAsync(HttpClient service, string tenant, string subject, string text)
    {
        var created = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/{subject}/records", new { category = "journal", fields = new { text } }, Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    /// <summary>The KMS key every wrapped key of the tenant records (the Keys table, read consistently).</summary>
    private async Task<List<string>> WrappedUnderAsync(string tenant)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var page = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = ResourceNames.FromEnvironment().Table(ResourceCatalog.Keys),
            KeyConditionExpression = "pk = :p",
            ExpressionAttributeValues = new() { [":p"] = new() { S = $"TENANT#{tenant}" } },
            ConsistentRead = true,
        }, Ct);
        return page.Items.Where(i => i.ContainsKey("wrappedKek")).Select(i => i["tenantKeyArn"].S).ToList();
    }

    private static async Task<JsonElement> WaitForAsync(HttpClient client, string tenant, string jobId)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        while (true)
        {
            var job = await (await client.GetAsync($"/v1/tenants/{tenant}/requests/{jobId}", Ct)).ReadJsonAsync();
            if (ErasureScenario.IsClosed(job) || deadline.IsCancellationRequested)
            {
                return job;
            }

            await Task.Delay(200, Ct);
        }
    }

    [Fact]
    public async Task A_rotation_under_concurrent_reads_and_writes_rewraps_every_key_fails_no_request_and_retires_the_old_key()
    {
        var tenant = await TenantAsync("rot");
        using var service = api.ClientWithToken(tenant, Roles.Service, "coaching-app");
        var written = new ConcurrentDictionary<string, (string Subject, string Text)>();
        for (var i = 0; i < 12; i++)
        {
            var subject = $"person-{i % 4}";
            var text = $"before rotation {i}";
            written[await CreateRecordAsync(service, tenant, subject, text)] = (subject, text);
        }

        var oldKey = (await WrappedUnderAsync(tenant)).Distinct().Should().ContainSingle().Subject;
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentBag<string>();
        var traffic = Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                // New subjects (a KEK born during the rotation) and old ones, written and read back.
                var subject = n % 3 == 0 ? $"newcomer-{n}" : $"person-{n % 4}";
                var text = $"during rotation {n}";
                var created = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/{subject}/records", new { category = "journal", fields = new { text } }, CancellationToken.None);
                if (created.StatusCode != HttpStatusCode.Created)
                {
                    failures.Add($"write {(int)created.StatusCode}");
                    continue;
                }

                written[(await created.ReadJsonAsync()).GetProperty("id").GetString()!] = (subject, text);
                var sample = written.ElementAt(n % written.Count);
                var read = await service.GetAsync($"/v1/tenants/{tenant}/subjects/{sample.Value.Subject}/records/{sample.Key}", CancellationToken.None);
                if (read.StatusCode != HttpStatusCode.OK || !(await read.Content.ReadAsStringAsync(CancellationToken.None)).Contains(sample.Value.Text, StringComparison.Ordinal))
                {
                    failures.Add($"read {(int)read.StatusCode}");
                }
            }
        }, CancellationToken.None);

        using var platform = api.PlatformAdmin();
        var started = await platform.PostAsJsonAsync($"/v1/tenants/{tenant}/key/rotate", new { keyArn = (string?)null }, Ct);
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync(Ct));
        var rotation = await started.ReadJsonAsync();
        rotation.GetProperty("type").GetString().Should().Be("key-rotation");
        var second = await platform.PostAsJsonAsync($"/v1/tenants/{tenant}/key/rotate", new { keyArn = (string?)null }, Ct);
        var job = await WaitForAsync(platform, tenant, rotation.GetProperty("id").GetString()!);
        await stop.CancelAsync();
        await traffic;

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        second.StatusCode.Should().Be(HttpStatusCode.Conflict, "one rotation at a time");
        failures.Should().BeEmpty("reads and writes keep working throughout");
        written.Count.Should().BeGreaterThan(14, "the client kept writing while the rotation ran");
        var under = await WrappedUnderAsync(tenant);
        var newKey = under.Distinct().Should().ContainSingle("every wrapped key is under the new key").Subject;
        newKey.Should().NotBe(oldKey);
        // A fresh API instance (no cached tenant) reads the tenant's key as the new one.
        using var cold = new LetheApiFactory();
        using var coldPlatform = cold.PlatformAdmin();
        var settings = await (await coldPlatform.GetAsync($"/v1/tenants/{tenant}/settings", Ct)).ReadJsonAsync();
        settings.GetProperty("key").GetProperty("arn").GetString().Should().Be(newKey);
        using var coldService = cold.ClientWithToken(tenant, Roles.Service);
        foreach (var (id, (subject, text)) in written)
        {
            var read = await coldService.GetAsync($"/v1/tenants/{tenant}/subjects/{subject}/records/{id}", Ct);
            (await read.Content.ReadAsStringAsync(Ct)).Should().Contain(text, "every record decrypts through a KEK under the new key");
        }

        using var kms = cloud.Cloud.CreateKmsClient();
        (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = oldKey }, Ct)).KeyMetadata.KeyState.Value.Should().Be("PendingDeletion",
            "nothing refers to the old platform key any more");
    }

    [Fact]
    public async Task A_tenant_admin_rotates_only_to_a_key_of_the_tenants_own_that_is_usable_and_no_other_tenants()
    {
        var tenant = await TenantAsync("rotb");
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin, "admin-ines");
        using var service = api.ClientWithToken(tenant, Roles.Service);
        var id = await CreateRecordAsync(service, tenant, "anna", "kept across the rotation");
        using var kms = cloud.Cloud.CreateKmsClient();
        var own = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "customer key" }, Ct)).KeyMetadata.Arn;
        // Another tenant's platform key (its alias names it): never this tenant's, even through a tenant admin.
        var other = await TenantAsync("rotc");
        var taken = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = $"alias/{ResourceNames.KeyAliasPrefix()}-tenant-{other}" }, Ct)).KeyMetadata.Arn;

        var platformKey = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/key/rotate", new { keyArn = (string?)null }, Ct);
        var foreign = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/key/rotate", new { keyArn = taken }, Ct);
        var malformed = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/key/rotate", new { keyArn = "not-an-arn" }, Ct);
        using var auditor = api.ClientWithToken(tenant, Roles.Auditor);
        var readOnly = await auditor.PostAsJsonAsync($"/v1/tenants/{tenant}/key/rotate", new { keyArn = own }, Ct);
        var started = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/key/rotate", new { keyArn = own }, Ct);

        platformKey.StatusCode.Should().Be(HttpStatusCode.Forbidden, "a fresh platform key is the platform admin's to give");
        foreign.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await foreign.Content.ReadAsStringAsync(Ct)).Should().Contain("byok-key-unusable");
        malformed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        readOnly.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync(Ct));
        var job = await WaitForAsync(admin, tenant, (await started.ReadJsonAsync()).GetProperty("id").GetString()!);
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        (await WrappedUnderAsync(tenant)).Should().OnlyContain(k => k == own);
        var read = await service.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records/{id}", Ct);
        (await read.Content.ReadAsStringAsync(Ct)).Should().Contain("kept across the rotation");
    }

    [Fact]
    public async Task An_old_platform_key_that_a_stored_file_is_sealed_under_stays_enabled_after_the_rotation()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rotf");
        await scenario.SeedAsync("anna", fileVersions: 1);
        var oldKey = (await WrappedUnderAsync(scenario.Tenant)).Distinct().Should().ContainSingle().Subject;
        using var platform = api.PlatformAdmin();

        var started = await platform.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/key/rotate", new { keyArn = (string?)null }, Ct);
        var job = await WaitForAsync(platform, scenario.Tenant, (await started.ReadJsonAsync()).GetProperty("id").GetString()!);

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        (await WrappedUnderAsync(scenario.Tenant)).Should().NotContain(oldKey);
        using var kms = cloud.Cloud.CreateKmsClient();
        (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = oldKey }, Ct)).KeyMetadata.KeyState.Value.Should().Be("Enabled",
            "S3 keeps the file's data key under the old key: deleting it would lose the file");
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var stored = await new Lethe.Aws.Tenants.DynamoTenantRepository(dynamo, ResourceNames.FromEnvironment().Table(ResourceCatalog.Tenants)).FindAsync(scenario.Tenant, Ct);
        stored!.RetainedKeyArns.Should().Equal(oldKey);
        var download = await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/subjects/anna/records", Ct);
        download.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
