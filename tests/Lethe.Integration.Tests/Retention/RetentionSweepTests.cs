using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Retention;

/// <summary>
/// The retention sweep end to end (API.md, retention/sweep and runs; DESIGN.md, retention-sweep): our real API, ASL, handlers and
/// adapters against the local cloud, on a fast tenant whose 90 days of retention last <see cref="NinetyDaysSeconds"/> seconds.
/// </summary>
public sealed class RetentionSweepTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private const int NinetyDaysSeconds = 3;
    private static readonly int Scale = 90 * 86_400 / NinetyDaysSeconds;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A fast tenant keeping notes 90 days (scaled) and everything else 2 years (scaled: about a minute).</summary>
    private async Task<ErasureScenario> TenantAsync(string prefix)
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, prefix, Scale);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/retention", new { @default = "P2Y", categories = new { note = "P90D" } }, Ct))
            .EnsureSuccessStatusCode();
        return scenario;
    }

    private static async Task<(string Id, DateTimeOffset RetainUntil)> WriteAsync(ErasureScenario scenario, string subject, string category)
    {
        var created = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/{subject}/records",
            new { category, visibility = "shared", fields = new Dictionary<string, string> { ["text"] = $"{category} of {subject}" } }, Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var body = await created.ReadJsonAsync();
        return (body.GetProperty("id").GetString()!, body.GetProperty("retainUntil").GetDateTimeOffset());
    }

    /// <summary>Waits until the moment has passed on this machine's clock (a deadline, not a guess).</summary>
    internal static async Task PassAsync(DateTimeOffset moment)
    {
        var left = moment - DateTimeOffset.UtcNow;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left + TimeSpan.FromMilliseconds(50), Ct);
        }
    }

    /// <summary>Starts a run through the API and waits until it has completed (shared by the retention tests).</summary>
    internal static async Task<JsonElement> SweepAsync(ErasureScenario scenario)
    {
        var started = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/retention/sweep", null, Ct);
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync(Ct));
        var job = await started.ReadJsonAsync();
        job.GetProperty("type").GetString().Should().Be("retention-sweep");
        var (done, _) = await scenario.WaitForJobAsync(job.GetProperty("id").GetString()!, ErasureScenario.IsClosed);
        done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
        return done;
    }

    [Fact]
    public async Task A_sweep_purges_what_is_past_retention_keeps_the_rest_and_a_held_subjects_data_and_certifies_the_run()
    {
        var scenario = await TenantAsync("rsw");
        var annNotes = new[] { await WriteAsync(scenario, "ann", "note"), await WriteAsync(scenario, "ann", "note") };
        var annTranscript = await WriteAsync(scenario, "ann", "transcript");
        var benNote = await WriteAsync(scenario, "ben", "note");
        var calNote = await WriteAsync(scenario, "cal", "note");
        scenario.Records["ann"] = [annNotes[0].Id, annNotes[1].Id, annTranscript.Id];
        scenario.Records["ben"] = [benNote.Id];
        var benRef = await scenario.SubjectRefAsync("ben");
        (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "cal", reason = "litigation" }, Ct)).EnsureSuccessStatusCode();
        annTranscript.RetainUntil.Should().BeAfter(DateTimeOffset.UtcNow.AddSeconds(20), "a transcript is kept two (scaled) years");
        await PassAsync(new[] { annNotes[0].RetainUntil, annNotes[1].RetainUntil, benNote.RetainUntil, calNote.RetainUntil }.Max());
        await using var inbox = await NoticeInbox.SubscribeAsync(cloud);

        var run = await SweepAsync(scenario);

        run.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(3);
        run.GetProperty("counts").GetProperty("held").GetInt64().Should().Be(1);
        foreach (var (id, _) in annNotes.Append(benNote))
        {
            (await scenario.RecordItemExistsAsync(id)).Should().BeFalse("a note past its retention is purged");
        }

        (await scenario.GetRecordAsync("ann", 2)).StatusCode.Should().Be(HttpStatusCode.OK, "a transcript inside its retention stays");
        (await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/subjects/cal/records/{calNote.Id}", Ct)).StatusCode
            .Should().Be(HttpStatusCode.OK, "a held subject's data is never deleted");
        (await scenario.KekExistsAsync(benRef)).Should().BeFalse("ben has nothing left: his KEK is shredded");
        (await scenario.KekExistsAsync(await scenario.SubjectRefAsync("ann"))).Should().BeTrue("ann still has a transcript");

        var runs = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/retention/runs", Ct)).ReadJsonAsync();
        var listed = runs.GetProperty("items").EnumerateArray().Single();
        listed.GetProperty("id").GetString().Should().Be(run.GetProperty("id").GetString());
        listed.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(3);
        listed.GetProperty("counts").GetProperty("skippedUnderHold").GetInt64().Should().Be(1);
        listed.GetProperty("counts").GetProperty("archived").GetInt64().Should().Be(0);
        listed.GetProperty("certificateId").GetString().Should().Be($"cert_{run.GetProperty("id").GetString()}");

        var certificate = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{run.GetProperty("id").GetString()}/certificate", Ct)).ReadJsonAsync();
        var payload = certificate.GetProperty("certificate");
        payload.GetProperty("type").GetString().Should().Be("retention");
        payload.GetProperty("counts").GetProperty("itemsPurged").GetInt64().Should().Be(3);
        payload.GetProperty("counts").GetProperty("byCategory").GetProperty("note").GetInt64().Should().Be(3);
        payload.GetProperty("counts").GetProperty("skippedUnderLegalHold").GetInt64().Should().Be(1);
        using var anonymous = api.CreateClient();
        var pem = await anonymous.GetStringAsync("/v1/certificates/public-key", Ct);
        (await ErasureEndToEndTests.VerifyWithCliAsync(certificate.GetRawText(), pem)).ExitCode.Should().Be(0, "the retention certificate verifies offline");

        var verify = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/audit/verify?from=0", Ct)).ReadJsonAsync();
        verify.GetProperty("valid").GetBoolean().Should().BeTrue(verify.ToString());
        (await cloud.JournalActionsAsync(scenario.Tenant, Ct)).Should().Contain(["retention.start", "retention.page", "retention.certificate", "retention.complete"]);
        var notice = await inbox.NextAsync(n => n.GetProperty("tenantId").GetString() == scenario.Tenant && n.GetProperty("event").GetString() == "retention.run");
        notice.GetProperty("requestId").GetString().Should().Be(run.GetProperty("id").GetString());
        notice.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(["event", "tenantId", "requestId", "at"], "a notice carries ids, never content");
    }

    [Fact]
    public async Task The_next_run_purges_a_held_subjects_expired_data_once_the_hold_is_released_and_nothing_twice()
    {
        var scenario = await TenantAsync("rsh");
        var note = await WriteAsync(scenario, "dan", "note");
        var placed = await (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "dan", reason = "audit" }, Ct)).ReadJsonAsync();
        await PassAsync(note.RetainUntil);
        (await SweepAsync(scenario)).GetProperty("counts").GetProperty("held").GetInt64().Should().Be(1);
        (await scenario.RecordItemExistsAsync(note.Id)).Should().BeTrue();

        (await scenario.Admin.DeleteAsync($"/v1/tenants/{scenario.Tenant}/legal-holds/{placed.GetProperty("id").GetString()}", Ct)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var second = await SweepAsync(scenario);
        var third = await SweepAsync(scenario);

        second.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(1, "the deferred item is found by the next run");
        (await scenario.RecordItemExistsAsync(note.Id)).Should().BeFalse();
        third.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(0, "nothing is purged twice");
        third.GetProperty("certificateId").GetString().Should().NotBeNullOrEmpty("every run is certified, even one that found nothing");
    }

    [Fact]
    public async Task Nothing_is_purged_before_its_retention_ends()
    {
        var scenario = await TenantAsync("rsn");
        var transcript = await WriteAsync(scenario, "eve", "transcript");
        scenario.Records["eve"] = [transcript.Id];

        var run = await SweepAsync(scenario);

        run.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(0);
        (await scenario.GetRecordAsync("eve", 0)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Only_one_run_per_tenant_is_open_a_second_start_answers_409_and_stores_nothing()
    {
        var scenario = await TenantAsync("rs2");
        await WriteAsync(scenario, "fay", "note");

        var both = await Task.WhenAll(
            scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/retention/sweep", null, Ct),
            scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/retention/sweep", null, Ct));

        both.Select(r => r.StatusCode).Should().BeEquivalentTo([HttpStatusCode.Accepted, HttpStatusCode.Conflict]);
        var refused = await both.Single(r => r.StatusCode == HttpStatusCode.Conflict).ReadJsonAsync();
        refused.GetProperty("type").GetString().Should().EndWith("/sweep-in-progress");
        var accepted = await both.Single(r => r.StatusCode == HttpStatusCode.Accepted).ReadJsonAsync();
        refused.GetProperty("jobId").GetString().Should().Be(accepted.GetProperty("id").GetString());
        await scenario.WaitForJobAsync(accepted.GetProperty("id").GetString()!, ErasureScenario.IsClosed);
        var runs = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/retention/runs", Ct)).ReadJsonAsync();
        runs.GetProperty("items").GetArrayLength().Should().Be(1);
    }

    [Theory]
    [InlineData(Roles.Auditor)]
    [InlineData(Roles.Service)]
    [InlineData(Roles.Subject)]
    public async Task Only_admins_start_a_sweep(string role)
    {
        var scenario = await TenantAsync("rsr");
        using var client = api.ClientWithToken(scenario.Tenant, role, "someone");

        var refused = await client.PostAsync($"/v1/tenants/{scenario.Tenant}/retention/sweep", null, Ct);

        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/retention/runs", Ct)).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task A_subject_token_cannot_read_the_runs_and_another_tenants_admin_cannot_start_one()
    {
        var scenario = await TenantAsync("rsx");
        using var subject = api.ClientWithToken(scenario.Tenant, Roles.Subject, "gus");
        using var stranger = api.ClientWithToken("other-tenant", Roles.TenantAdmin, "admin-x");

        (await subject.GetAsync($"/v1/tenants/{scenario.Tenant}/retention/runs", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await stranger.PostAsync($"/v1/tenants/{scenario.Tenant}/retention/sweep", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/retention/runs?limit=0", Ct)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_daily_schedule_starts_one_run_per_tenant_and_none_while_one_is_open()
    {
        var scenario = await TenantAsync("rsd");
        await WriteAsync(scenario, "hal", "note");

        var first = await scenario.InvokeAsync("retention-schedule", $$"""{"tenantIds":["{{scenario.Tenant}}"]}""");
        var second = await scenario.InvokeAsync("retention-schedule", $$"""{"tenantIds":["{{scenario.Tenant}}"]}""");

        first.Failed.Should().BeFalse(first.Payload.ToString());
        first.Payload.GetProperty("started").GetInt32().Should().Be(1);
        second.Payload.GetProperty("started").GetInt32().Should().Be(0, "a run is still open");
        var runs = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/retention/runs", Ct)).ReadJsonAsync();
        var run = runs.GetProperty("items").EnumerateArray().Single();
        await scenario.WaitForJobAsync(run.GetProperty("id").GetString()!, ErasureScenario.IsClosed);
    }
}
