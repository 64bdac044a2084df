using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>PUT tenant, settings, retention and legal holds: roles, cross-tenant, bad input (400, nothing changed) and audit.</summary>
public sealed class TenantAdministrationTests : IClassFixture<LetheApiFactory>
{
    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public TenantAdministrationTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewTenant() => $"ta-{Guid.NewGuid():N}"[..20];

    private async Task<string> ProvisionAsync()
    {
        var tenant = NewTenant();
        using var admin = _api.PlatformAdmin();
        using var created = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Acme Coaching" }, Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        return tenant;
    }

    private async Task<List<JsonElement>> JournalAsync(string tenant) =>
        (await _cloud.JournalItemsAsync(tenant, Ct)).Select(i => JsonSerializer.SerializeToElement(i.ToDictionary(a => a.Key, a => a.Value.S ?? a.Value.BOOL?.ToString()))).ToList();

    [Fact]
    public async Task A_platform_admin_creates_a_tenant_with_its_own_rotating_KMS_key_and_it_is_audited()
    {
        var tenant = await ProvisionAsync();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);

        var settings = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/settings", Ct));

        settings.GetProperty("key").GetProperty("managedBy").GetString().Should().Be("platform");
        settings.GetProperty("key").GetProperty("arn").GetString().Should().StartWith("arn:aws:kms:");
        settings.GetProperty("retention").GetProperty("default").GetString().Should().Be("P2Y");
        settings.GetProperty("recoveryWindow").GetString().Should().Be("P29D");
        var journal = await JournalAsync(tenant);
        journal.Should().ContainSingle(e => e.GetProperty("action").GetString() == "tenant.create"
            && e.GetProperty("actorRole").GetString() == "platform-admin" && e.GetProperty("outcome").GetString() == "success");
    }

    [Fact]
    public async Task Putting_the_same_tenant_again_updates_it_and_keeps_its_key()
    {
        var tenant = await ProvisionAsync();
        using var platform = _api.PlatformAdmin();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);
        var keyBefore = (await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/settings", Ct))).GetProperty("key").GetProperty("arn").GetString();

        using var updated = await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Acme Coaching EU" }, Ct);

        updated.StatusCode.Should().Be(HttpStatusCode.OK);
        (await HttpJson.ReadJsonAsync(updated)).GetProperty("name").GetString().Should().Be("Acme Coaching EU");
        (await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/settings", Ct))).GetProperty("key").GetProperty("arn").GetString().Should().Be(keyBefore);
    }

    [Fact]
    public async Task A_tenant_admin_may_not_create_tenants()
    {
        var tenant = NewTenant();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);

        using var response = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Mine" }, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("ab", """{"name":"x"}""", "tenantId")]
    [InlineData("ok-tenant-id", """{"name":""}""", "name")]
    [InlineData("ok-tenant-id", """{"name":"x","keyArn":"not-an-arn"}""", "keyArn")]
    [InlineData("ok-tenant-id", """{"name":"x","timeScale":0}""", "timeScale")]
    public async Task Bad_tenant_input_is_a_400_naming_the_field(string tenant, string body, string field)
    {
        using var platform = _api.PlatformAdmin();

        using var response = await platform.PutAsync($"/v1/tenants/{tenant}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await HttpJson.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue();
    }

    [Fact]
    public async Task A_BYOK_key_that_cannot_be_used_is_refused_and_nothing_is_created()
    {
        var tenant = NewTenant();
        using var platform = _api.PlatformAdmin();

        using var response = await platform.PutAsJsonAsync($"/v1/tenants/{tenant}",
            new { name = "Byok Inc", keyArn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000" }, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await HttpJson.ReadJsonAsync(response)).GetProperty("type").GetString().Should().EndWith("/byok-key-unusable");
        using var strict = new LetheApiFactory { AutoProvisionTenants = false };
        using var reader = strict.PlatformAdmin();
        (await reader.GetAsync($"/v1/tenants/{tenant}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_usable_BYOK_key_is_registered_as_the_tenants_own()
    {
        var tenant = NewTenant();
        using var kms = _cloud.Cloud.CreateKmsClient();
        var own = await kms.CreateKeyAsync(new Amazon.KeyManagementService.Model.CreateKeyRequest { Description = "customer key" }, Ct);
        using var platform = _api.PlatformAdmin();

        using var response = await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Byok Inc", keyArn = own.KeyMetadata.Arn }, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);
        var key = (await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/settings", Ct))).GetProperty("key");
        (key.GetProperty("arn").GetString(), key.GetProperty("managedBy").GetString()).Should().Be((own.KeyMetadata.Arn, "tenant"));
    }

    [Fact]
    public async Task Retention_inside_the_bounds_is_saved_and_audited()
    {
        var tenant = await ProvisionAsync();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);

        using var response = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/settings/retention", new { @default = "P3Y", categories = new { transcript = "P1Y" } }, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var retention = (await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/settings", Ct))).GetProperty("retention");
        retention.GetProperty("default").GetString().Should().Be("P3Y");
        retention.GetProperty("categories").GetProperty("transcript").GetString().Should().Be("P1Y");
        (await JournalAsync(tenant)).Should().Contain(e => e.GetProperty("action").GetString() == "settings.retention.update");
    }

    [Fact]
    public async Task Retention_out_of_bounds_names_each_bad_field_and_changes_nothing()
    {
        var tenant = await ProvisionAsync();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);

        using var response = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/settings/retention",
            new { @default = "P30D", categories = new { transcript = "P8Y", journal = "soon", insight = "P1Y" } }, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await HttpJson.ReadJsonAsync(response)).GetProperty("errors").EnumerateObject().Select(p => p.Name)
            .Should().BeEquivalentTo(["default", "categories.transcript", "categories.journal"]);
        var retention = (await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/settings", Ct))).GetProperty("retention");
        retention.GetProperty("default").GetString().Should().Be("P2Y");
        retention.GetProperty("categories").EnumerateObject().Should().BeEmpty();
    }

    [Fact]
    public async Task A_malformed_JSON_body_is_a_400_problem()
    {
        var tenant = await ProvisionAsync();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);

        using var response = await admin.PutAsync($"/v1/tenants/{tenant}/settings/retention", new StringContent("{\"default\":", System.Text.Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Theory]
    [InlineData(Roles.Service)]
    [InlineData(Roles.Auditor)]
    [InlineData(Roles.Subject)]
    public async Task Settings_are_for_tenant_admins_only(string role)
    {
        var tenant = await ProvisionAsync();
        using var client = _api.ClientWithToken(tenant, role);

        (await client.GetAsync($"/v1/tenants/{tenant}/settings", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await client.PutAsJsonAsync($"/v1/tenants/{tenant}/settings/retention", new { @default = "P1Y" }, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await client.PostAsJsonAsync($"/v1/tenants/{tenant}/legal-holds", new { subjectId = "s-1", reason = "litigation" }, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Another_tenants_admin_cannot_read_or_change_settings()
    {
        var tenant = await ProvisionAsync();
        using var stranger = _api.ClientWithToken(NewTenant(), Roles.TenantAdmin);

        (await stranger.GetAsync($"/v1/tenants/{tenant}/settings", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await stranger.PutAsJsonAsync($"/v1/tenants/{tenant}/settings/retention", new { @default = "P1Y" }, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_legal_hold_stores_only_the_subject_ref_is_listed_audited_and_can_be_lifted_once()
    {
        var tenant = await ProvisionAsync();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);

        using var created = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/legal-holds", new { subjectId = "anna@example.com", reason = "Case 2026-17" }, Ct);

        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var id = (await HttpJson.ReadJsonAsync(created)).GetProperty("id").GetString()!;
        var listed = await admin.GetStringAsync($"/v1/tenants/{tenant}/legal-holds", Ct);
        listed.Should().Contain(id).And.Contain("Case 2026-17").And.NotContain("anna");
        (await JournalAsync(tenant)).Select(e => e.GetRawText()).Should().Contain(e => e.Contains("legal-hold.create", StringComparison.Ordinal))
            .And.NotContain(e => e.Contains("anna", StringComparison.Ordinal));
        (await admin.DeleteAsync($"/v1/tenants/{tenant}/legal-holds/{id}", Ct)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await admin.DeleteAsync($"/v1/tenants/{tenant}/legal-holds/{id}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_legal_hold_of_another_tenant_is_404_as_if_it_did_not_exist()
    {
        var mine = await ProvisionAsync();
        var theirs = await ProvisionAsync();
        using var theirAdmin = _api.ClientWithToken(theirs, Roles.TenantAdmin);
        var id = (await HttpJson.ReadJsonAsync(await theirAdmin.PostAsJsonAsync($"/v1/tenants/{theirs}/legal-holds", new { subjectId = "s-1", reason = "r" }, Ct))).GetProperty("id").GetString();
        using var myAdmin = _api.ClientWithToken(mine, Roles.TenantAdmin);

        (await myAdmin.DeleteAsync($"/v1/tenants/{mine}/legal-holds/{id}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await theirAdmin.GetStringAsync($"/v1/tenants/{theirs}/legal-holds", Ct)).Should().Contain(id!);
    }

    [Theory]
    [InlineData("""{"subjectId":"","reason":"r"}""", "subjectId")]
    [InlineData("""{"subjectId":"has space","reason":"r"}""", "subjectId")]
    [InlineData("""{"subjectId":"s-1","reason":""}""", "reason")]
    public async Task Bad_legal_hold_input_is_a_400_and_creates_nothing(string body, string field)
    {
        var tenant = await ProvisionAsync();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);

        using var response = await admin.PostAsync($"/v1/tenants/{tenant}/legal-holds", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await HttpJson.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue();
        (await admin.GetStringAsync($"/v1/tenants/{tenant}/legal-holds", Ct)).Should().Be("""{"items":[]}""");
    }
}
