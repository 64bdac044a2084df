using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Retention;

/// <summary>
/// Issue 14's year: a fast tenant (a week lasts <see cref="WeekSeconds"/> s) with notes kept 90 days then archived (Glacier) for
/// 90 more, journals kept 180 days, recordings (files) kept 90 days then archived (Deep Archive) for 180, everything else a year;
/// items written at the start and in the middle, one subject under a legal hold, swept over and over. After every run: every
/// item due at the run's moment is archived (its category archives) or purged, an archived one is purged once its archive
/// period is over, nothing moves before its retention ends, the held subject keeps all; every run's certificate verifies
/// with the published key and counts what was archived and purged once; the audit chain verifies at the end.
/// </summary>
public sealed class RetentionYearTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private const int WeekSeconds = 2;
    private static readonly int Scale = 7 * 86_400 / WeekSeconds;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Stored(string Id, string Subject, string Category, int Round, DateTimeOffset RetainUntil, TimeSpan? ArchivedFor, bool IsFile = false);

    private static TimeSpan ScaledDays(int days) => TimeSpan.FromDays(days) / Scale;

    [Fact]
    public async Task Over_a_simulated_year_every_item_goes_at_the_first_run_after_its_retention_never_before_and_never_a_held_one()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "ryr", Scale);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/retention",
            new { @default = "P1Y", categories = new { note = "P90D", journal = "P180D" } }, Ct)).EnsureSuccessStatusCode();
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/archive", new
        {
            categories = new { note = new { after = "P90D", tier = "GLACIER" }, recording = new { after = "P180D", tier = "DEEP_ARCHIVE" } },
        }, Ct)).EnsureSuccessStatusCode();
        var archivedFor = new Dictionary<string, TimeSpan> { ["note"] = ScaledDays(90), ["recording"] = ScaledDays(180) };
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
                    var id = body.GetProperty("id").GetString()!;
                    stored.Add(new Stored(id, subject, category, round, body.GetProperty("retainUntil").GetDateTimeOffset(), archivedFor.TryGetValue(category, out var period) ? period : null));
                    scenario.Records.TryAdd(subject, []);
                    scenario.Records[subject].Add(id);
                }

                if (round == 0)
                {
                    var until = DateTimeOffset.UtcNow + ScaledDays(90);
                    var file = await scenario.PutFileAsync(await scenario.SubjectRefAsync(subject), versions: 1, until);
                    stored.Add(new Stored(file.ItemId, subject, "recording", round, until, archivedFor["recording"], IsFile: true));
                }
            }
        }

        await WriteBatchAsync(0);
        // The simulated year starts once the first batch exists (writing it takes seconds under load, and every retention
        // counts from an item's creation): the milestones below are then reached by the last run, however slow the writes were.
        var start = DateTimeOffset.UtcNow;
        var certificates = new List<JsonElement>();
        var archivedUntil = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var wroteMidYear = false;
        // Runs go on until the first batch's notes (90 days kept, then 90 archived) and journals (180 days) have reached their end
        // at a run, a little over half a (scaled) year; mid-year notes are then archived and transcripts still kept. The loop
        // ends on that milestone, not on a fixed time, because each run's moment decides when an archive period ends and runs
        // take longer on a loaded machine; the cap only stops a sweep that never gets there (the assertions below then fail).
        var lastState = new Dictionary<string, string>(StringComparer.Ordinal);
        bool FirstBatchEnded() => stored
            .Where(i => i.Round == 0 && i.Subject != "hold-ida" && i.Category is "note" or "journal")
            .All(i => lastState.GetValueOrDefault(i.Id) == "purged");
        while (!FirstBatchEnded() && DateTimeOffset.UtcNow - start < TimeSpan.FromSeconds(26 * WeekSeconds + 30))
        {
            if (!wroteMidYear && DateTimeOffset.UtcNow - start > TimeSpan.FromSeconds(8 * WeekSeconds))
            {
                await WriteBatchAsync(1);
                wroteMidYear = true;
            }

            var run = await RetentionSweepTests.SweepAsync(scenario);
            var asOf = run.GetProperty("createdAt").GetDateTimeOffset();
            var states = await ItemStatesAsync(scenario);
            foreach (var item in stored)
            {
                var state = lastState[item.Id] = states[item.Id];
                var because = $"{item.Id} ({item.Subject}, retained until {item.RetainUntil:O}) at the run of {asOf:O}";
                if (item.Subject == "hold-ida" || item.RetainUntil > asOf)
                {
                    state.Should().Be("active", $"{because} is held or not due");
                }
                else if (item.ArchivedFor is { } period)
                {
                    // Archived by the first run after its retention ended, until that run's moment plus the archive period.
                    if (!archivedUntil.TryGetValue(item.Id, out var end))
                    {
                        archivedUntil[item.Id] = end = asOf + period;
                    }

                    state.Should().Be(end > asOf ? "archived" : "purged", $"{because} archives until {end:O}");
                }
                else
                {
                    state.Should().Be("purged", $"{because} was due");
                }

                if (!item.IsFile)
                {
                    (await scenario.RecordItemExistsAsync(item.Id)).Should().Be(state == "active", $"{because} is readable only while active");
                }
            }

            certificates.Add(await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{run.GetProperty("id").GetString()}/certificate", Ct)).ReadJsonAsync());
        }

        wroteMidYear.Should().BeTrue();
        var final = await ItemStatesAsync(scenario);
        stored.Count(i => final[i.Id] == "archived").Should().BeGreaterThanOrEqualTo(4, "mid-year notes and the recordings sit in the archive");
        stored.Count(i => final[i.Id] == "purged").Should().BeGreaterThanOrEqualTo(4, "the first notes (after their archive period) and the first journals reached their end");
        CertificateCount(certificates, "itemsPurged").Should().Be(stored.Count(i => final[i.Id] == "purged"), "each purge is certified once");
        CertificateCount(certificates, "archived").Should().Be(archivedUntil.Count, "each archive is certified once");
        using var anonymous = api.CreateClient();
        using var key = ECDsa.Create();
        key.ImportFromPem(await anonymous.GetStringAsync("/v1/certificates/public-key", Ct));
        certificates.Should().OnlyContain(c => key.VerifyData(
            Convert.FromBase64String(c.GetProperty("payload").GetString()!), Convert.FromBase64String(c.GetProperty("signature").GetString()!),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        var verify = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/audit/verify?from=0", Ct)).ReadJsonAsync();
        verify.GetProperty("valid").GetBoolean().Should().BeTrue(verify.ToString());
    }

    private static long CertificateCount(List<JsonElement> certificates, string counter) =>
        certificates.Sum(c => c.GetProperty("certificate").GetProperty("counts").GetProperty(counter).GetInt64());

    /// <summary>Every item of the tenant and its state, as the inventory lists it (purged ones included).</summary>
    private static async Task<Dictionary<string, string>> ItemStatesAsync(ErasureScenario scenario)
    {
        var items = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/items?limit=500", Ct)).ReadJsonAsync();
        return items.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetString()!, i => i.GetProperty("state").GetString()!, StringComparer.Ordinal);
    }
}
