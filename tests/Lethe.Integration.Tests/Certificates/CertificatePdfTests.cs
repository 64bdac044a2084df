using System.Net;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Certificates;

/// <summary>
/// <c>GET …/certificate?format=pdf</c> (API.md): the same certificate as a readable PDF carrying the canonical payload, the
/// signature and the key id exactly as the JSON form does, read back with PdfPig.
/// </summary>
public sealed class CertificatePdfTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_deletion_certificate_PDF_states_the_facts_and_carries_the_payload_signature_and_key_id_of_the_JSON_form()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "cpdf");
        await scenario.SeedAsync("anna", fileVersions: 1);
        var jobId = (await (await scenario.SubmitErasureAsync("anna")).ReadJsonAsync()).GetProperty("id").GetString()!;
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        var json = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync();

        using var response = await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate?format=pdf", Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/pdf");
        var pdf = await response.Content.ReadAsByteArrayAsync(Ct);
        var words = PdfText.Words(pdf);
        var facts = json.GetProperty("certificate");
        string.Join(' ', words).Should().Contain("Deletion certificate").And.Contain($"cert_{jobId}").And.Contain("counts.itemsErased 5")
            .And.Contain($"deadlineMet {facts.GetProperty("deadlineMet").GetString()}");
        PdfText.Compact(pdf).Should().Contain($"subjectRef{facts.GetProperty("subjectRef").GetString()}", "a long ref may wrap over two rows");
        PdfText.CodeAfter(words, "(base64)", "Signature").Should().Be(json.GetProperty("payload").GetString());
        PdfText.CodeAfter(words, "DER)", "How").Should().Be(json.GetProperty("signature").GetString());
        PdfText.CodeAfter(words, "id", "Payload").Should().Be(json.GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task An_unknown_certificate_format_is_a_400_naming_format_and_a_subject_cannot_read_another_subject_s_PDF()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "cpdb", timeScale: 1);
        await scenario.SeedAsync("ben", fileVersions: 1);
        var jobId = (await (await scenario.SubmitErasureAsync("ben")).ReadJsonAsync()).GetProperty("id").GetString()!;
        using var other = api.ClientWithToken(scenario.Tenant, Roles.Subject, "carla");

        var bad = await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate?format=docx", Ct);
        var foreign = await other.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate?format=pdf", Ct);
        var early = await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate?format=pdf", Ct);

        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.ReadJsonAsync()).GetProperty("errors").TryGetProperty("format", out _).Should().BeTrue();
        foreign.StatusCode.Should().Be(HttpStatusCode.NotFound, "another subject's request does not exist for this token");
        early.StatusCode.Should().Be(HttpStatusCode.Conflict, "no certificate before the erasure completes");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
