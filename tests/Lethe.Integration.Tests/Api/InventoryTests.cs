using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Domain.Security;

using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>The inventory lists every stored thing: records and consents, per tenant or per subject, for admins and auditors.</summary>
public sealed class InventoryTests(LetheApiFactory api) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> TenantWithDataAsync()
    {
        var tenant = $"iv-{Guid.NewGuid():N}"[..20];
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);
        (await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/records", new { category = "transcript", fields = new { body = "x" } }, Ct)).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/records", new { category = "goal", fields = new { text = "y" } }, Ct)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/consents/ai-processing", new { granted = true }, Ct)).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/ben/records", new { category = "goal", fields = new { text = "z" } }, Ct)).EnsureSuccessStatusCode();
        return tenant;
    }

    [Fact]
    public async Task A_subjects_inventory_holds_its_records_and_consents_with_location_and_retention()
    {
        var tenant = await TenantWithDataAsync();
        using var auditor = api.ClientWithToken(tenant, Roles.Auditor);

        var page = await HttpJson.ReadJsonAsync(await auditor.GetAsync($"/v1/tenants/{tenant}/items?subjectId=anna", Ct));

        var items = page.GetProperty("items").EnumerateArray().ToList();
        items.Select(i => i.GetProperty("kind").GetString()).Should().BeEquivalentTo(["record", "record", "consent"]);
        items.Should().OnlyContain(i => i.GetProperty("state").GetString() == "active");
        items.Where(i => i.GetProperty("kind").GetString() == "record")
            .Should().OnlyContain(i => i.GetProperty("location").GetProperty("table").GetString() == "Records" && i.GetProperty("retainUntil").ValueKind == JsonValueKind.String);
        items.Select(i => i.GetProperty("subjectRef").GetString()).Distinct().Should().ContainSingle().Which.Should().MatchRegex("^[0-9a-f]{64}$");
    }

    [Fact]
    public async Task The_tenants_inventory_pages_with_a_cursor_and_filters_by_state()
    {
        var tenant = await TenantWithDataAsync();
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);

        var first = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/items?limit=3", Ct));
        var second = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/items?limit=3&cursor={Uri.EscapeDataString(first.GetProperty("nextCursor").GetString()!)}", Ct));
        var softDeleted = await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/items?state=soft_deleted", Ct));

        (first.GetProperty("items").GetArrayLength() + second.GetProperty("items").GetArrayLength()).Should().Be(4);
        softDeleted.GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Another_tenants_admin_gets_403_for_the_inventory_and_for_anchoring()
    {
        var tenant = await TenantWithDataAsync();
        using var stranger = api.ClientWithToken($"iv-{Guid.NewGuid():N}"[..20], Roles.TenantAdmin);

        (await stranger.GetAsync($"/v1/tenants/{tenant}/items", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await stranger.PostAsync($"/v1/tenants/{tenant}/audit/anchors", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData(Roles.Service)]
    [InlineData(Roles.Subject)]
    public async Task Services_and_subjects_may_not_read_the_inventory(string role)
    {
        var tenant = $"iv-{Guid.NewGuid():N}"[..20];
        using var client = api.ClientWithToken(tenant, role, "anna");

        (await client.GetAsync($"/v1/tenants/{tenant}/items", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("state=deleted")]
    [InlineData("limit=0")]
    [InlineData("subjectId=has%20space")]
    [InlineData("cursor=!!!")]
    public async Task Bad_inventory_queries_are_a_400(string query)
    {
        var tenant = $"iv-{Guid.NewGuid():N}"[..20];
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);

        (await admin.GetAsync($"/v1/tenants/{tenant}/items?{query}", Ct)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}

public sealed class SubjectPathRedactionTests
{
    [Theory]
    [InlineData("GET /v1/tenants/t1/subjects/anna@example.com/records", "GET /v1/tenants/t1/subjects/[redacted]/records")]
    [InlineData("/v1/tenants/t1/subjects/anna?x=1", "/v1/tenants/t1/subjects/[redacted]?x=1")]
    [InlineData("/v1/tenants/t1/items", "/v1/tenants/t1/items")]
    [InlineData("GET /v1/tenants/t1/items?subjectId=anna%40example.com&state=active", "GET /v1/tenants/t1/items?subjectId=[redacted]&state=active")]
    [InlineData("/v1/tenants/t1/requests?status=running&SUBJECTID=bob", "/v1/tenants/t1/requests?status=running&SUBJECTID=[redacted]")]
    [InlineData("/v1/tenants/t1/items?subject%49d=alice", "/v1/tenants/t1/items?subject%49d=[redacted]")]
    [InlineData("POST /v1/tenants/t1/SUBJECTS/jane@x.com/records", "POST /v1/tenants/t1/SUBJECTS/[redacted]/records")]
    public void Subject_ids_in_paths_and_query_strings_are_redacted_before_logging(string text, string expected) =>
        Lethe.Api.SubjectPaths.Redact(text).Should().Be(expected);
}
