using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Domain.Security;

using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>Consents: the subject and tenant admins set them, changes are kept and audited, nobody else reaches them.</summary>
public sealed class ConsentTests(LetheApiFactory api) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewTenant() => $"ct-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task A_subject_grants_then_withdraws_consent_and_both_changes_are_kept()
    {
        var tenant = NewTenant();
        using var anna = api.ClientWithToken(tenant, Roles.Subject, "anna");

        (await anna.PutAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/consents/ai-processing", new { granted = true }, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await anna.PutAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/consents/ai-processing", new { granted = false }, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        var consents = await HttpJson.ReadJsonAsync(await anna.GetAsync($"/v1/tenants/{tenant}/subjects/anna/consents", Ct));

        var current = consents.GetProperty("items").EnumerateArray().Single();
        (current.GetProperty("purpose").GetString(), current.GetProperty("granted").GetBoolean(), current.GetProperty("updatedBy").GetString())
            .Should().Be(("ai-processing", false, "data-subject"));
        consents.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("granted").GetBoolean()).Should().Equal(true, false);
    }

    [Fact]
    public async Task A_subject_cannot_touch_another_subjects_consents()
    {
        var tenant = NewTenant();
        using var anna = api.ClientWithToken(tenant, Roles.Subject, "anna");

        (await anna.PutAsJsonAsync($"/v1/tenants/{tenant}/subjects/ben/consents/ai-processing", new { granted = true }, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await anna.GetAsync($"/v1/tenants/{tenant}/subjects/ben/consents", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_service_reads_but_may_not_change_consent_and_another_tenant_gets_403()
    {
        var tenant = NewTenant();
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);
        (await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/consents/marketing", new { granted = true }, Ct)).EnsureSuccessStatusCode();
        using var service = api.ClientWithToken(tenant, Roles.Service);
        using var stranger = api.ClientWithToken(NewTenant(), Roles.TenantAdmin);

        (await service.GetAsync($"/v1/tenants/{tenant}/subjects/anna/consents", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await service.PutAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/consents/marketing", new { granted = false }, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await stranger.GetAsync($"/v1/tenants/{tenant}/subjects/anna/consents", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("AI Processing", """{"granted":true}""", "purpose")]
    [InlineData("ai-processing", """{}""", "granted")]
    [InlineData("ai-processing", """{"granted":"yes"}""", null)]
    public async Task Bad_consent_input_is_a_400_and_changes_nothing(string purpose, string body, string? field)
    {
        var tenant = NewTenant();
        using var admin = api.ClientWithToken(tenant, Roles.TenantAdmin);

        using var response = await admin.PutAsync($"/v1/tenants/{tenant}/subjects/anna/consents/{Uri.EscapeDataString(purpose)}",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        if (field is not null)
        {
            (await HttpJson.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue();
        }

        (await HttpJson.ReadJsonAsync(await admin.GetAsync($"/v1/tenants/{tenant}/subjects/anna/consents", Ct))).GetProperty("items").GetArrayLength().Should().Be(0);
    }
}
