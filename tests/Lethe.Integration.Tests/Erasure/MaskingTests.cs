using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Erasure;

/// <summary>
/// Masking per category (API.md, <c>PUT …/settings/erasure</c>): an erasure of a subject with invoice records under
/// <c>{"invoice":"mask"}</c> keeps each invoice as a copy without PII or subject link, deletes the rest, and its certificate
/// counts the masked records apart.
/// </summary>
public sealed class MaskingTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_masked_invoice_survives_an_erasure_without_any_PII_or_subject_link_and_everything_else_goes()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "msk");
        var settings = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/erasure", new { categories = new { invoice = "mask" } }, Ct);
        settings.StatusCode.Should().Be(HttpStatusCode.OK, await settings.Content.ReadAsStringAsync(Ct));
        await scenario.SeedAsync("anna.berg", fileVersions: 1);
        var invoice = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/anna.berg/records", new
        {
            category = "invoice",
            fields = new Dictionary<string, string>
            {
                ["customerName"] = "Anna Berg",
                ["number"] = "INV-2026-0042",
                ["amount"] = "120.00 EUR",
                ["note"] = "Paid by anna.berg, card 4111 1111 1111 1111, receipt to anna@example.com",
            },
        }, Ct);
        invoice.StatusCode.Should().Be(HttpStatusCode.Created);
        // Marked sensitive, it was field-encrypted: keeping it would mean keeping it in the clear, so it is purged instead.
        (await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/anna.berg/records",
            new { category = "invoice", sensitive = true, fields = new Dictionary<string, string> { ["amount"] = "80.00 EUR" } }, Ct)).StatusCode.Should().Be(HttpStatusCode.Created);
        var invoiceId = (await invoice.ReadJsonAsync()).GetProperty("id").GetString()!;
        var subjectRef = await scenario.SubjectRefAsync("anna.berg");

        var jobId = (await (await scenario.SubmitErasureAsync("anna.berg")).ReadJsonAsync()).GetProperty("id").GetString()!;
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        job.GetProperty("maskedCategories").EnumerateArray().Select(c => c.GetString()).Should().Equal(["invoice"], "the request shows what it keeps");
        (job.GetProperty("counts").GetProperty("purged").GetInt64(), job.GetProperty("counts").GetProperty("masked").GetInt64())
            .Should().Be((6, 1), "3 records, the sensitive invoice, the consent and the file deleted; the plain invoice masked");
        (await scenario.RecordItemExistsAsync(invoiceId)).Should().BeFalse("the original invoice is purged");
        var items = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/items?limit=500", Ct)).ReadJsonAsync();
        var copy = items.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("category").GetString() == "invoice" && i.GetProperty("state").GetString() == "active");
        copy.GetProperty("subjectRef").GetString().Should().BeEmpty("the copy is linked to no subject");
        var row = (await scenario.RecordRowAsync(copy.GetProperty("id").GetString()!))!;
        var fields = row["fields"].M.ToDictionary(f => f.Key, f => f.Value.S);
        fields.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["customerName"] = "[erased]", ["number"] = "INV-2026-0042", ["amount"] = "120.00 EUR", ["note"] = "Paid by [erased], card [erased], receipt to [erased]",
        });
        row.Should().NotContainKey("subjectRef");
        row["encrypted"].BOOL.Should().BeFalse("it was stored in the clear, and nothing in it needs sealing now");
        var subjectItems = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/items?subjectId=anna.berg", Ct)).ReadJsonAsync();
        subjectItems.GetProperty("items").EnumerateArray().Should().OnlyContain(i => i.GetProperty("state").GetString() == "purged", "nothing live is left under the subject");
        (await scenario.KekExistsAsync(subjectRef)).Should().BeFalse("the subject's key is shredded all the same");

        var certificate = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync();
        var counts = certificate.GetProperty("certificate").GetProperty("counts");
        (counts.GetProperty("itemsErased").GetInt64(), counts.GetProperty("itemsMasked").GetInt64()).Should().Be((6, 1));
        counts.GetProperty("byCategory").GetProperty("invoice").GetInt64().Should().Be(1, "only the sensitive invoice was erased; the masked one is counted apart");
    }

    [Fact]
    public async Task The_erasure_settings_are_shown_audited_and_a_category_of_the_person_s_own_words_cannot_be_masked()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "mss", timeScale: 1);
        using var auditor = api.ClientWithToken(scenario.Tenant, Roles.Auditor);

        var refused = await scenario.Admin.PutAsync($"/v1/tenants/{scenario.Tenant}/settings/erasure",
            new StringContent("""{"categories":{"invoice":"mask","transcript":"mask","receipt":"shred"}}""", Encoding.UTF8, "application/json"), Ct);
        var forbidden = await auditor.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/erasure", new { categories = new { invoice = "mask" } }, Ct);
        var accepted = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/erasure", new { categories = new { invoice = "mask", receipt = "delete" } }, Ct);
        var shown = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/settings", Ct)).ReadJsonAsync();

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().BeEquivalentTo("categories.transcript", "categories.receipt");
        forbidden.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        accepted.StatusCode.Should().Be(HttpStatusCode.OK);
        shown.GetProperty("erasure").GetProperty("categories").Deserialize<Dictionary<string, string>>().Should()
            .BeEquivalentTo(new Dictionary<string, string> { ["invoice"] = "mask", ["receipt"] = "delete" }, "the refused PUT changed nothing");
        (await scenario.AuditEventuallyAsync("settings.erasure.update", 1)).Should().ContainSingle();
    }

    [Fact]
    public async Task A_deletion_keeps_the_masked_categories_it_was_submitted_under_when_the_settings_change_later()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "msn", timeScale: 1);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/erasure", new { categories = new { invoice = "mask" } }, Ct)).EnsureSuccessStatusCode();
        await scenario.SeedAsync("dora", fileVersions: 1);
        var jobId = (await (await scenario.SubmitErasureAsync("dora")).ReadJsonAsync()).GetProperty("id").GetString()!;

        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/erasure", new { categories = new { } }, Ct)).EnsureSuccessStatusCode();
        var job = await scenario.JobAsync(jobId);

        job.GetProperty("maskedCategories").EnumerateArray().Select(c => c.GetString()).Should().Equal(["invoice"]);
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
