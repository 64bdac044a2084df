using System.Net;
using System.Net.Http.Json;
using Amazon.DynamoDBv2.Model;
using Amazon.KeyManagementService.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Tenants;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// Issue 11, finding 7 (API.md, Tenants): an existing tenant's key never changes through PUT, KEKs are unwrapped with the key
/// they record, a BYOK key must be no other tenant's, and tenant updates never undo each other.
/// </summary>
public sealed class TenantKeyTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewTenant() => $"tk-{Guid.NewGuid():N}"[..20];

    private async Task<string> CustomerKeyAsync(string? taggedFor = null)
    {
        using var kms = cloud.Cloud.CreateKmsClient();
        var request = new CreateKeyRequest { Description = "customer key" };
        if (taggedFor is not null)
        {
            request.Tags = [new Amazon.KeyManagementService.Model.Tag { TagKey = "lethe:tenant", TagValue = taggedFor }];
        }

        return (await kms.CreateKeyAsync(request, Ct)).KeyMetadata.Arn;
    }

    private async Task<(string Tenant, string RecordId)> ByokTenantWithARecordAsync(string keyArn)
    {
        var tenant = NewTenant();
        using var platform = api.PlatformAdmin();
        (await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Byok Inc", keyArn }, Ct)).StatusCode.Should().Be(HttpStatusCode.Created);
        using var service = api.ClientWithToken(tenant, Roles.Service);
        var created = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/records", new { category = "journal", fields = new { text = "private words" } }, Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        return (tenant, (await created.ReadJsonAsync()).GetProperty("id").GetString()!);
    }

    private static async Task<HttpStatusCode> ReadAsync(string tenant, string recordId)
    {
        using var fresh = new LetheApiFactory();
        using var service = fresh.ClientWithToken(tenant, Roles.Service);
        return (await service.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records/{recordId}", Ct)).StatusCode;
    }

    [Fact]
    public async Task Another_key_for_an_existing_tenant_is_a_409_pointing_to_rotation_and_changes_nothing()
    {
        var own = await CustomerKeyAsync();
        var (tenant, recordId) = await ByokTenantWithARecordAsync(own);
        using var platform = api.PlatformAdmin();

        var other = await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Byok Inc", keyArn = await CustomerKeyAsync() }, Ct);

        other.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await other.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/use-key-rotation");
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);
        (await (await admin.GetAsync($"/v1/tenants/{tenant}/settings", Ct)).ReadJsonAsync()).GetProperty("key").GetProperty("arn").GetString().Should().Be(own);
        (await ReadAsync(tenant, recordId)).Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_null_key_on_update_keeps_the_tenants_own_key_and_its_data_readable()
    {
        var own = await CustomerKeyAsync();
        var (tenant, recordId) = await ByokTenantWithARecordAsync(own);
        using var platform = api.PlatformAdmin();

        var renamed = await platform.PutAsync($"/v1/tenants/{tenant}", new StringContent("""{"name":"Byok Renamed","keyArn":null}""", System.Text.Encoding.UTF8, "application/json"), Ct);

        renamed.StatusCode.Should().Be(HttpStatusCode.OK);
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);
        var key = (await (await admin.GetAsync($"/v1/tenants/{tenant}/settings", Ct)).ReadJsonAsync()).GetProperty("key");
        (key.GetProperty("arn").GetString(), key.GetProperty("managedBy").GetString()).Should().Be((own, "tenant"));
        (await ReadAsync(tenant, recordId)).Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_KEK_is_unwrapped_with_the_key_it_records_even_after_the_tenants_key_moved_on()
    {
        var own = await CustomerKeyAsync();
        var (tenant, recordId) = await ByokTenantWithARecordAsync(own);
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();

        // What a rotation leaves for a moment: the tenant names a new key while this subject's KEK is still wrapped under the old.
        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = ResourceNames.FromEnvironment().Table(ResourceCatalog.Tenants),
            Key = DynamoKeys.Of(tenant, "PROFILE"),
            UpdateExpression = "SET keyArn = :next",
            ExpressionAttributeValues = new() { [":next"] = new() { S = await CustomerKeyAsync() } },
        }, Ct);

        (await ReadAsync(tenant, recordId)).Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_BYOK_key_tagged_for_another_tenant_is_refused_and_nothing_is_created()
    {
        var tenant = NewTenant();
        using var platform = api.PlatformAdmin();

        var refused = await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Byok Inc", keyArn = await CustomerKeyAsync(taggedFor: "someone-else") }, Ct);

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await refused.ReadJsonAsync();
        problem.GetProperty("type").GetString().Should().EndWith("/byok-key-unusable");
        problem.GetProperty("errors").GetProperty("keyArn")[0].GetString().Should().Contain("another tenant").And.NotContain("someone-else");
        (await new DynamoTenantRepository(cloud.Cloud.CreateDynamoDbClient(), ResourceNames.FromEnvironment().Table(ResourceCatalog.Tenants)).FindAsync(tenant, Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Another_tenants_platform_key_is_refused_as_a_BYOK_key()
    {
        var victim = NewTenant();
        using var platform = api.PlatformAdmin();
        (await platform.PutAsJsonAsync($"/v1/tenants/{victim}", new { name = "Victim" }, Ct)).EnsureSuccessStatusCode();
        using var victimAdmin = api.ClientWithToken(victim, Roles.TenantAdmin);
        var victimKey = (await (await victimAdmin.GetAsync($"/v1/tenants/{victim}/settings", Ct)).ReadJsonAsync()).GetProperty("key").GetProperty("arn").GetString();

        var refused = await platform.PutAsJsonAsync($"/v1/tenants/{NewTenant()}", new { name = "Thief", keyArn = victimKey }, Ct);

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/byok-key-unusable");
    }

    [Fact]
    public async Task Concurrent_renames_and_retention_changes_never_undo_each_other()
    {
        var tenant = NewTenant();
        using var platform = api.PlatformAdmin();
        (await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Before" }, Ct)).EnsureSuccessStatusCode();
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);

        var changes = new List<Task<HttpResponseMessage>>
        {
            platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "After" }, Ct),
        };
        for (var i = 0; i < 6; i++)
        {
            changes.Add(admin.PutAsJsonAsync($"/v1/tenants/{tenant}/settings/retention", new { categories = new Dictionary<string, string> { ["transcript"] = "P1Y" } }, Ct));
        }

        var answers = await Task.WhenAll(changes);

        answers.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        (await (await platform.GetAsync($"/v1/tenants/{tenant}", Ct)).ReadJsonAsync()).GetProperty("name").GetString().Should().Be("After");
        (await (await admin.GetAsync($"/v1/tenants/{tenant}/settings", Ct)).ReadJsonAsync()).GetProperty("retention").GetProperty("categories").GetProperty("transcript").GetString().Should().Be("P1Y");
    }
}
