using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Erasure;

/// <summary>
/// The erasure of issue 5 end to end: API → Step Functions (moto) running workflows/deletion.asl.json → our handlers →
/// DynamoDB, S3, KMS, with a fast tenant time scale for the 29-day recovery window.
/// </summary>
public sealed class ErasureEndToEndTests : IClassFixture<LetheApiFactory>
{
    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public ErasureEndToEndTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_erasure_hides_at_once_then_removes_every_copy_shreds_the_key_and_proves_it_with_a_verifiable_certificate()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "e2e");
        await scenario.SeedAsync("anna");
        await scenario.SeedAsync("bruno");
        var annaRef = await scenario.SubjectRefAsync("anna");
        (await scenario.ObjectVersionsAsync(scenario.Files["anna"])).Should().HaveCount(3);

        var submitted = await scenario.SubmitErasureAsync("anna", idempotencyKey: "erase-anna-1");
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync(Ct));
        var jobId = (await submitted.ReadJsonAsync()).GetProperty("id").GetString()!;
        submitted.Headers.Location!.ToString().Should().Be($"/v1/tenants/{scenario.Tenant}/requests/{jobId}");

        // Hidden at once: the soft-delete runs within a second or two, long before the window ends.
        var (hidden, seenFirst) = await scenario.WaitForJobAsync(jobId, j => j.GetProperty("phase").GetString() is "recovery-window" or "purge" or "shred" or "certify" or "notify" or "done");
        var listed = await (await scenario.ListRecordsAsync("anna")).ReadJsonAsync();
        listed.GetProperty("items").GetArrayLength().Should().Be(0);
        (await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/subjects/anna/records/{scenario.Records["anna"][0]}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var consents = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/subjects/anna/consents", Ct)).ReadJsonAsync();
        consents.GetProperty("items").GetArrayLength().Should().Be(0);
        consents.GetProperty("history").GetArrayLength().Should().Be(0);
        hidden.GetProperty("counts").GetProperty("softDeleted").GetInt64().Should().Be(5, "3 records, 1 consent and 1 file were hidden");

        var (job, seenLater) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);
        // Both polls: the 4-second window may be over before the checks between them are.
        var seen = seenFirst.Concat(seenLater).ToList();
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        job.GetProperty("progress").GetProperty("percent").GetInt32().Should().Be(100);
        job.GetProperty("subjectId").ValueKind.Should().Be(JsonValueKind.Null, "a completed erasure no longer names the person");
        job.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(5);
        seen.Select(s => s.Phase).Distinct().Should().ContainInOrder("recovery-window", "done");
        foreach (var phase in seen.GroupBy(s => s.Phase))
        {
            phase.Select(s => s.Percent).Should().BeInAscendingOrder($"progress never goes back within {phase.Key}");
        }

        // Every copy is gone: records, every object version, the KEK; the other subject is untouched.
        foreach (var recordId in scenario.Records["anna"])
        {
            (await scenario.RecordItemExistsAsync(recordId)).Should().BeFalse();
        }

        (await scenario.ObjectVersionsAsync(scenario.Files["anna"])).Should().BeEmpty();
        (await scenario.KekExistsAsync(annaRef)).Should().BeFalse();
        var bruno = await (await scenario.ListRecordsAsync("bruno")).ReadJsonAsync();
        bruno.GetProperty("items").GetArrayLength().Should().Be(3);
        bruno.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("fields").ToString()).Should().Contain(f => f.Contains("Second session of bruno", StringComparison.Ordinal));
        (await scenario.ObjectVersionsAsync(scenario.Files["bruno"])).Should().HaveCount(3);

        // The certificate verifies with the published key, in .NET and with plain openssl; one flipped byte fails both.
        var certificate = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync();
        var payload = Convert.FromBase64String(certificate.GetProperty("payload").GetString()!);
        var signature = Convert.FromBase64String(certificate.GetProperty("signature").GetString()!);
        payload.Length.Should().BeLessThan(4096);
        var claims = certificate.GetProperty("certificate");
        claims.GetProperty("subjectRef").GetString().Should().Be(annaRef);
        System.Text.Encoding.UTF8.GetString(payload).Should().NotContain("anna");
        claims.GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(5);
        claims.GetProperty("counts").GetProperty("objectVersionsDeleted").GetInt64().Should().Be(3);
        // At this time scale the 1-day purge budget is ~0.14 s, so whether it was met depends on the machine; the claim must be honest.
        var metExpected = DateTimeOffset.Parse(claims.GetProperty("completedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            <= DateTimeOffset.Parse(claims.GetProperty("deadline").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        claims.GetProperty("deadlineMet").GetString().Should().Be(metExpected ? "yes" : "no");
        claims.GetProperty("methods").GetProperty("cryptoShred").GetString().Should().Be("kek-deleted");

        using var anonymous = _api.CreateClient();
        var pem = await anonymous.GetStringAsync("/v1/certificates/public-key", Ct);
        var keyId = certificate.GetProperty("keyId").GetString()!;
        var byId = await anonymous.GetStringAsync($"/v1/certificates/public-keys/{Uri.EscapeDataString(keyId)}", Ct);
        var byRawId = await anonymous.GetStringAsync($"/v1/certificates/public-keys/{keyId}", Ct);
        byId.Should().Be(pem, "a key id (an ARN with a slash) works as one encoded path segment, as generated clients send it");
        byRawId.Should().Be(pem);
        using var key = ECDsa.Create();
        key.ImportFromPem(pem);
        key.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence).Should().BeTrue();
        var tampered = (byte[])payload.Clone();
        tampered[tampered.Length / 2] ^= 0x01;
        key.VerifyData(tampered, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence).Should().BeFalse();
        (await OpensslVerifiesAsync(pem, payload, signature)).Should().BeTrue();
        (await OpensslVerifiesAsync(pem, tampered, signature)).Should().BeFalse();
        var cli = await VerifyWithCliAsync(certificate.GetRawText(), pem);
        cli.Should().Be((0, "valid"));
        var forged = certificate.GetRawText().Replace(certificate.GetProperty("payload").GetString()!, Convert.ToBase64String(tampered), StringComparison.Ordinal);
        (await VerifyWithCliAsync(forged, pem)).ExitCode.Should().Be(1);

        // The audit says who asked, what was affected, and the outcome; the chain verifies.
        var audit = await AuditEventually(scenario, jobId);
        audit.Should().Contain(e => e.GetProperty("action").GetString() == "request.submit" && e.GetProperty("actor").GetProperty("sub").GetString() == "coaching-app");
        audit.Should().Contain(e => e.GetProperty("action").GetString() == "erasure.purge" && e.GetProperty("details").GetProperty("purged").GetInt64() == 5);
        audit.Should().Contain(e => e.GetProperty("action").GetString() == "erasure.complete" && e.GetProperty("outcome").GetString() == "success");
        audit.Select(e => e.ToString()).Should().NotContain(e => e.Contains("\"anna\"", StringComparison.Ordinal));
        var verify = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/audit/verify?from=0", Ct)).ReadJsonAsync();
        verify.GetProperty("valid").GetBoolean().Should().BeTrue(verify.ToString());
    }

    [Fact]
    public async Task Record_consent_and_export_writes_for_a_subject_answer_409_erasure_in_progress_while_its_erasure_is_open()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "e2w", timeScale: 1);
        await scenario.SeedAsync("carla", fileVersions: 1);
        var jobId = (await (await scenario.SubmitErasureAsync("carla")).ReadJsonAsync()).GetProperty("id").GetString()!;

        var write = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/carla/records",
            new { category = "note", fields = new Dictionary<string, string> { ["text"] = "late" } }, Ct);
        var consent = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/carla/consents/marketing", new { granted = true }, Ct);
        var second = await scenario.SubmitErasureAsync("carla");
        var export = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests", new { type = "export", subjectId = "carla" }, Ct);

        foreach (var refused in new[] { write, consent, second, export })
        {
            refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
            var problem = await refused.ReadJsonAsync();
            problem.GetProperty("type").GetString().Should().EndWith("/erasure-in-progress");
            problem.GetProperty("jobId").GetString().Should().Be(jobId);
        }

        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private static async Task<List<JsonElement>> AuditEventually(ErasureScenario scenario, string jobId)
    {
        for (var attempt = 0; ; attempt++)
        {
            var page = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/audit?limit=1000", Ct)).ReadJsonAsync();
            var events = page.GetProperty("items").EnumerateArray().ToList();
            if (events.Any(e => e.GetProperty("action").GetString() == "erasure.complete") || attempt > 50)
            {
                return events;
            }

            await Task.Delay(200, Ct);
        }
    }

    /// <summary>Runs <c>lethe verify-certificate FILE --public-key PEM</c> (the real CLI) and returns its exit code and first line.</summary>
    internal static async Task<(int ExitCode, string Output)> VerifyWithCliAsync(string certificateJson, string pem)
    {
        var folder = Directory.CreateTempSubdirectory("lethe-verify-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "certificate.json"), certificateJson, Ct);
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "key.pem"), pem, Ct);
            var start = LocalCloud.LetheUpTests.Cli("verify-certificate", Path.Combine(folder.FullName, "certificate.json"), "--public-key", Path.Combine(folder.FullName, "key.pem"));
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            return (process.ExitCode, output.Split('\n')[0].Trim());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<bool> OpensslVerifiesAsync(string pem, byte[] payload, byte[] signature)
    {
        var folder = Directory.CreateTempSubdirectory("lethe-cert-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "key.pem"), pem, Ct);
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "payload.json"), payload, Ct);
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "sig.der"), signature, Ct);
            using var openssl = Process.Start(new ProcessStartInfo("openssl", ["dgst", "-sha256", "-verify", "key.pem", "-signature", "sig.der", "payload.json"])
            {
                WorkingDirectory = folder.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            await openssl.WaitForExitAsync(Ct);
            return openssl.ExitCode == 0 && (await openssl.StandardOutput.ReadToEndAsync(Ct)).Contains("Verified OK", StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
