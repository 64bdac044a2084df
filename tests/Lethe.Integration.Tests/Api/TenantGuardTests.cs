using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lethe.Aws.Configuration;
using Lethe.Aws.Tenants;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>GET /v1/tenants/{t}, the first guarded route: 401 / 403 / 410 / 404 in that order, every error as problem+json.</summary>
public sealed class TenantGuardTests : IClassFixture<LetheApiFactory>
{
    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public TenantGuardTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static string NewTenant() => $"t-{Guid.NewGuid():N}"[..20];

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        response.StatusCode.Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
        json.GetProperty("type").GetString().Should().Be($"https://lethe.dev/problems/{slug}");
        json.GetProperty("status").GetInt32().Should().Be((int)status);
        json.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        json.GetProperty("detail").GetString().Should().NotBeNullOrEmpty();
        return json;
    }

    [Fact]
    public async Task A_tenant_admin_reads_its_tenant_which_is_provisioned_on_first_use_locally()
    {
        var tenant = NewTenant();
        using var client = _api.ClientWithToken(tenant, Roles.TenantAdmin);

        using var response = await client.GetAsync($"/v1/tenants/{tenant}", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        body.RootElement.GetProperty("id").GetString().Should().Be(tenant);
        body.RootElement.GetProperty("state").GetString().Should().Be("active");
        body.RootElement.GetProperty("timeScale").GetInt32().Should().Be(1);
        body.RootElement.GetProperty("createdAt").GetDateTimeOffset().Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
        var stored = await new DynamoTenantRepository(_cloud.Cloud.CreateDynamoDbClient(), ResourceNames.FromEnvironment().Table(Lethe.Catalog.ResourceCatalog.Tenants))
            .FindAsync(tenant, TestContext.Current.CancellationToken);
        stored!.Id.Should().Be(tenant);
    }

    [Fact]
    public async Task A_token_of_another_tenant_gets_the_same_403_whether_that_tenant_exists_or_not()
    {
        var existing = NewTenant();
        var missing = NewTenant();
        using var owner = _api.ClientWithToken(existing, Roles.TenantAdmin);
        (await owner.GetAsync($"/v1/tenants/{existing}", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        using var stranger = _api.ClientWithToken(NewTenant(), Roles.TenantAdmin);

        using var toExisting = await stranger.GetAsync($"/v1/tenants/{existing}", TestContext.Current.CancellationToken);
        using var toMissing = await stranger.GetAsync($"/v1/tenants/{missing}", TestContext.Current.CancellationToken);

        var a = await ProblemAsync(toExisting, HttpStatusCode.Forbidden, "forbidden");
        var b = await ProblemAsync(toMissing, HttpStatusCode.Forbidden, "forbidden");
        (a.GetProperty("title").GetString(), a.GetProperty("detail").GetString())
            .Should().Be((b.GetProperty("title").GetString(), b.GetProperty("detail").GetString()), "a 403 tells nothing about the other tenant");
        var stored = await new DynamoTenantRepository(_cloud.Cloud.CreateDynamoDbClient(), ResourceNames.FromEnvironment().Table(Lethe.Catalog.ResourceCatalog.Tenants))
            .FindAsync(missing, TestContext.Current.CancellationToken);
        stored.Should().BeNull("a refused request provisions nothing");
    }

    [Fact]
    public async Task No_token_gets_401_with_a_bearer_challenge()
    {
        using var client = _api.CreateClient();

        using var response = await client.GetAsync($"/v1/tenants/{NewTenant()}", TestContext.Current.CancellationToken);

        await ProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        response.Headers.WwwAuthenticate.Single().Scheme.Should().Be("Bearer");
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwidGVuYW50IjoidDEiLCJyb2xlcyI6WyJ0ZW5hbnQtYWRtaW4iXX0.")]
    public async Task A_malformed_or_unsigned_token_gets_401(string token)
    {
        using var client = _api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await client.GetAsync("/v1/tenants/t1-acme", TestContext.Current.CancellationToken);

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        problem.GetRawText().Should().NotContain(token.Length > 10 ? token[..10] : token, "errors never echo a credential");
    }

    [Fact]
    public async Task An_expired_token_gets_401()
    {
        var tenant = NewTenant();
        using var client = _api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _api.Token(tenant, Roles.TenantAdmin, lifetime: TimeSpan.FromMinutes(-5)));

        using var response = await client.GetAsync($"/v1/tenants/{tenant}", TestContext.Current.CancellationToken);

        await ProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_token_signed_with_another_key_gets_401()
    {
        using var other = new LetheApiFactory();
        var tenant = NewTenant();
        using var client = _api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", other.Token(tenant, Roles.TenantAdmin));

        using var response = await client.GetAsync($"/v1/tenants/{tenant}", TestContext.Current.CancellationToken);

        await ProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_subject_token_may_not_read_the_tenant()
    {
        var tenant = NewTenant();
        using var client = _api.ClientWithToken(tenant, Roles.Subject, "subject-1");

        using var response = await client.GetAsync($"/v1/tenants/{tenant}", TestContext.Current.CancellationToken);

        await ProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_terminated_tenant_answers_410_to_its_own_admin_but_403_to_a_stranger()
    {
        var tenant = NewTenant();
        var repository = new DynamoTenantRepository(_cloud.Cloud.CreateDynamoDbClient(), ResourceNames.FromEnvironment().Table(Lethe.Catalog.ResourceCatalog.Tenants));
        await repository.GetOrCreateAsync(new Tenant(tenant, "Old Co", TenantState.Terminated, DateTimeOffset.UtcNow.AddYears(-1), 1), TestContext.Current.CancellationToken);
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);
        using var stranger = _api.ClientWithToken(NewTenant(), Roles.TenantAdmin);

        using var own = await admin.GetAsync($"/v1/tenants/{tenant}", TestContext.Current.CancellationToken);
        using var foreign = await stranger.GetAsync($"/v1/tenants/{tenant}", TestContext.Current.CancellationToken);

        await ProblemAsync(own, HttpStatusCode.Gone, "tenant-terminated");
        await ProblemAsync(foreign, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Without_auto_provisioning_an_unknown_tenant_is_404_even_for_a_platform_admin()
    {
        using var strict = new LetheApiFactory { AutoProvisionTenants = false };
        using var client = strict.PlatformAdmin();

        using var response = await client.GetAsync($"/v1/tenants/{NewTenant()}", TestContext.Current.CancellationToken);

        await ProblemAsync(response, HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task A_platform_admin_reads_any_existing_tenant()
    {
        var tenant = NewTenant();
        using var owner = _api.ClientWithToken(tenant, Roles.TenantAdmin);
        (await owner.GetAsync($"/v1/tenants/{tenant}", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        using var strict = new LetheApiFactory { AutoProvisionTenants = false };
        using var admin = strict.PlatformAdmin();

        using var response = await admin.GetAsync($"/v1/tenants/{tenant}", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
