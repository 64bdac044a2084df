using System.Net;
using System.Net.Http.Json;
using System.Text;
using Amazon.DynamoDBv2.Model;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// Connector management (API.md, connectors): tenant admins create, replace, list and remove them; secrets are write-only and
/// stored sealed; URLs that could reach internal addresses are refused; the callback refuses what no call waits for.
/// </summary>
public sealed class ConnectorTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private const string Secret = "whsec-live-secret-4f9a2c7e1b";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_connector_is_created_replaced_listed_and_removed_and_its_secret_is_never_returned_or_stored_in_the_clear()
    {
        var tenant = await TenantAsync("con");
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin, "admin-ines");

        var created = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/connectors/crm", new { url = "https://crm.example.com/hooks/lethe", secret = Secret, types = new[] { "deletion", "export" } }, Ct);
        var replaced = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/connectors/crm", new { url = "https://crm.example.com/v2/hooks", types = new[] { "deletion" } }, Ct);
        var listed = await (await admin.GetAsync($"/v1/tenants/{tenant}/connectors", Ct)).Content.ReadAsStringAsync(Ct);
        var one = await (await admin.GetAsync($"/v1/tenants/{tenant}/connectors/crm", Ct)).ReadJsonAsync();
        var row = await RowAsync(tenant);

        created.StatusCode.Should().Be(HttpStatusCode.Created);
        created.Headers.Location!.ToString().Should().Be($"/v1/tenants/{tenant}/connectors/crm");
        replaced.StatusCode.Should().Be(HttpStatusCode.OK, "an update without a secret keeps the stored one");
        (one.GetProperty("url").GetString(), one.GetProperty("secretSet").GetBoolean()).Should().Be(("https://crm.example.com/v2/hooks", true));
        one.GetProperty("types").EnumerateArray().Select(t => t.GetString()).Should().Equal("deletion");
        listed.Should().Contain("\"crm\"").And.NotContain(Secret).And.NotContain("\"secret\"");
        Encoding.UTF8.GetString(row["connectors"].M["crm"].M["secret"].B.ToArray()).Should().NotContain(Secret, "the secret is stored sealed");
        (await AuditAsync(tenant, "connector.update")).Should().NotContain(Secret).And.Contain("crm.example.com");

        (await admin.DeleteAsync($"/v1/tenants/{tenant}/connectors/crm", Ct)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await admin.GetAsync($"/v1/tenants/{tenant}/connectors/crm", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await admin.DeleteAsync($"/v1/tenants/{tenant}/connectors/crm", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("http://crm.example.com/hook", "url")]
    [InlineData("https://10.0.0.7/hook", "url")]
    [InlineData("https://169.254.169.254/latest/meta-data", "url")]
    [InlineData("https://[fd00::1]/hook", "url")]
    [InlineData("https://user:pass@crm.example.com/hook", "url")]
    [InlineData("https://metadata.internal/hook", "url")]
    [InlineData("ftp://crm.example.com/hook", "url")]
    public async Task A_url_that_could_reach_an_internal_address_is_refused_and_nothing_is_stored(string url, string field)
    {
        var tenant = await TenantAsync("cou");
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);

        var response = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/connectors/crm", new { url, secret = Secret, types = new[] { "deletion" } }, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().Equal(field);
        (await admin.GetAsync($"/v1/tenants/{tenant}/connectors/crm", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Bad_names_secrets_and_types_are_each_named_and_a_new_connector_needs_a_secret()
    {
        var tenant = await TenantAsync("cov");
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);

        var bad = await admin.PutAsync($"/v1/tenants/{tenant}/connectors/Bad_Name",
            new StringContent("""{"url":"https://crm.example.com/h","secret":"short","types":["deletion","rectify"]}""", Encoding.UTF8, "application/json"), Ct);
        var noSecret = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/connectors/crm", new { url = "https://crm.example.com/h", types = new[] { "deletion" } }, Ct);
        var noBody = await admin.PutAsync($"/v1/tenants/{tenant}/connectors/crm", new StringContent("null", Encoding.UTF8, "application/json"), Ct);

        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().BeEquivalentTo("name", "secret", "types");
        noSecret.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await noSecret.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().Equal("secret");
        noBody.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var list = await (await admin.GetAsync($"/v1/tenants/{tenant}/connectors", Ct)).ReadJsonAsync();
        list.GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task An_eleventh_connector_is_refused_with_409()
    {
        var tenant = await TenantAsync("col");
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);
        for (var i = 0; i < 10; i++)
        {
            (await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/connectors/system-{i}", new { url = $"https://s{i}.example.com/h", secret = Secret, types = new[] { "deletion" } }, Ct))
                .StatusCode.Should().Be(HttpStatusCode.Created);
        }

        var eleventh = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/connectors/system-10", new { url = "https://s10.example.com/h", secret = Secret, types = new[] { "deletion" } }, Ct);
        var replaceStill = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/connectors/system-3", new { url = "https://s3.example.com/v2", types = new[] { "deletion" } }, Ct);

        eleventh.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await eleventh.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("connector-limit");
        replaceStill.StatusCode.Should().Be(HttpStatusCode.OK, "replacing one of the ten is not a new one");
    }

    [Fact]
    public async Task Only_tenant_admins_manage_connectors_and_other_tenants_never_see_them()
    {
        var tenant = await TenantAsync("cor");
        var other = await TenantAsync("co2");
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);
        using var service = api.ClientWithToken(tenant, Roles.Service);
        using var auditor = api.ClientWithToken(tenant, Roles.Auditor);
        using var otherAdmin = api.ClientWithToken(other, Roles.TenantAdmin);
        (await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/connectors/crm", new { url = "https://crm.example.com/h", secret = Secret, types = new[] { "deletion" } }, Ct)).EnsureSuccessStatusCode();

        (await service.GetAsync($"/v1/tenants/{tenant}/connectors", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await auditor.PutAsJsonAsync($"/v1/tenants/{tenant}/connectors/x1", new { url = "https://x.example.com/h", secret = Secret, types = new[] { "deletion" } }, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await otherAdmin.GetAsync($"/v1/tenants/{tenant}/connectors/crm", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await (await otherAdmin.GetAsync($"/v1/tenants/{other}/connectors", Ct)).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task An_answer_for_a_request_or_call_that_does_not_exist_or_with_a_bad_status_is_refused()
    {
        var tenant = await TenantAsync("coa");
        using var service = api.ClientWithToken(tenant, Roles.Service);
        using var subject = api.ClientWithToken(tenant, Roles.Subject, "anna");
        var submitted = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/requests", new { type = "deletion", subjectId = "anna", reason = "GDPR Art. 17 request" }, Ct);
        var jobId = (await submitted.ReadJsonAsync()).GetProperty("id").GetString()!;

        var unknown = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/requests/job_doesnotexist/connectors/crm", new { status = "done", items = 1 }, Ct);
        var notWaiting = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/requests/{jobId}/connectors/crm", new { status = "done", items = 1 }, Ct);
        var badStatus = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/requests/{jobId}/connectors/crm", new { status = "ok", items = -1, message = new string('x', 501) }, Ct);
        var bySubject = await subject.PostAsJsonAsync($"/v1/tenants/{tenant}/requests/{jobId}/connectors/crm", new { status = "done", items = 1 }, Ct);
        using var otherService = api.ClientWithToken(await TenantAsync("coo"), Roles.Service);
        var otherTenant = await otherService.PostAsJsonAsync($"/v1/tenants/{tenant}/requests/{jobId}/connectors/crm", new { status = "done", items = 1 }, Ct);

        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        notWaiting.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await notWaiting.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("connector-not-waiting");
        badStatus.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badStatus.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().BeEquivalentTo("status", "items", "message");
        bySubject.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        otherTenant.StatusCode.Should().Be(HttpStatusCode.Forbidden, "another tenant's token answers nothing here");
    }

    private async Task<string> TenantAsync(string prefix)
    {
        var tenant = $"{prefix}-{Guid.NewGuid():N}"[..24];
        using var platform = api.PlatformAdmin();
        (await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Connector tenant", timeScale = 1 }, Ct)).EnsureSuccessStatusCode();
        return tenant;
    }

    private async Task<Dictionary<string, AttributeValue>> RowAsync(string tenant)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var table = Lethe.Aws.Configuration.ResourceNames.FromEnvironment().Table(Lethe.Catalog.ResourceCatalog.Tenants);
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new Dictionary<string, AttributeValue> { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = "CONNECTORS" } },
            ConsistentRead = true,
        }, Ct);
        return response.Item;
    }

    private async Task<string> AuditAsync(string tenant, string action)
    {
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var page = await (await admin.GetAsync($"/v1/tenants/{tenant}/audit?limit=1000", Ct)).Content.ReadAsStringAsync(Ct);
            if (page.Contains(action, StringComparison.Ordinal))
            {
                return page;
            }

            await Task.Delay(100, Ct);
        }

        throw new TimeoutException($"No {action} event was audited.");
    }
}
