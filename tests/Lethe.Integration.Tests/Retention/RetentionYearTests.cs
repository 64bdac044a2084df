using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Retention;

/// <summary>
/// Issue 14's year: a fast tenant (a week lasts <see cref="WeekSeconds"/> s) with notes kept 90 days, journals 180 days and
/// everything else a year, items written at the start and in the middle, one subject under a legal hold, swept over and over.
/// After every run, everything due at the run's moment is gone, nothing is gone before its retention, the held subject keeps
/// all; every run's certificate verifies with the published key, and the audit chain verifies at the end.
/// </summary>
public sealed class RetentionYearTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private const int WeekSeconds = 2;
    private static readonly int Scale = 7 * 86_400 / WeekSeconds;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Stored(string Id, string Subject, DateTimeOffset RetainUntil);

    [Fact]
    public async Task Over_a_simulated_year_every_item_goes_at_the_first_run_after_its_retention_never_before_and_never_a_held_one()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "ryr", Scale);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/retention",
            new { @default = "P1Y", categories = new { note = "P90D", journal = "P180D" } }, Ct)).EnsureSuccessStatusCode();
        (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "hold-ida", reason = "litigation" }, Ct)).EnsureSuccessStatusCode();
        var stored = new List<Stored>();
        async Task WriteBatchAsync(int round)
        {
            foreach (var subject in new[] { $"amy-{round}", $"bo-{round}", "hold-ida" })
            {
                foreach (var category in new[] { "note", "journal", "transcript" })
                {
                    var created = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/{subject}/records",
                        new { category, fields = new Dictionary<string, string> { ["text"] = $"{category} of {subject}" } }, Ct);
                    created.StatusCode.Should().Be(HttpStatusCode.Created);
                    var body = await created.ReadJsonAsync();
                    stored.Add(new Stored(body.GetProperty("id").GetString()!, subject, body.GetProperty("retainUntil").GetDateTimeOffset()));
                }
            }
        }

        var start = DateTimeOffset.UtcNow;
        await WriteBatchAsync(0);
        var certificates = new List<JsonElement>();
        var wroteMidYear = false;
        // A little over half a (scaled) year: notes of both batches and journals of the first reach their end, transcripts do not.
        while (DateTimeOffset.UtcNow - start < TimeSpan.FromSeconds(26 * WeekSeconds + 8))
        {
            if (!wroteMidYear && DateTimeOffset.UtcNow - start > TimeSpan.FromSeconds(8 * WeekSeconds))
            {
                await WriteBatchAsync(1);
                wroteMidYear = true;
            }

            var run = await RetentionSweepTests.SweepAsync(scenario);
            var asOf = run.GetProperty("createdAt").GetDateTimeOffset();
            foreach (var item in stored)
            {
                var exists = await scenario.RecordItemExistsAsync(item.Id);
                if (item.Subject == "hold-ida" || item.RetainUntil > asOf)
                {
                    exists.Should().BeTrue($"{item.Id} ({item.Subject}) is held or not due at {asOf:O} (retained until {item.RetainUntil:O})");
                }
                else
                {
                    exists.Should().BeFalse($"{item.Id} was due at {item.RetainUntil:O}, before the run of {asOf:O}");
                }
            }

            certificates.Add(await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{run.GetProperty("id").GetString()}/certificate", Ct)).ReadJsonAsync());
        }

        wroteMidYear.Should().BeTrue();
        stored.Where(i => i.Subject != "hold-ida" && i.RetainUntil <= DateTimeOffset.UtcNow.AddSeconds(-WeekSeconds)).Should().HaveCountGreaterThanOrEqualTo(6, "notes of both batches and the first journals reached their end");
        certificates.Sum(c => c.GetProperty("certificate").GetProperty("counts").GetProperty("itemsPurged").GetInt64())
            .Should().Be(stored.Count(i => i.Subject != "hold-ida" && i.RetainUntil <= certificates[^1].GetProperty("certificate").GetProperty("dueAsOf").GetDateTimeOffset()), "each purge is certified once");
        using var anonymous = api.CreateClient();
        using var key = ECDsa.Create();
        key.ImportFromPem(await anonymous.GetStringAsync("/v1/certificates/public-key", Ct));
        certificates.Should().OnlyContain(c => key.VerifyData(
            Convert.FromBase64String(c.GetProperty("payload").GetString()!), Convert.FromBase64String(c.GetProperty("signature").GetString()!),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        var verify = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/audit/verify?from=0", Ct)).ReadJsonAsync();
        verify.GetProperty("valid").GetBoolean().Should().BeTrue(verify.ToString());
    }
}
