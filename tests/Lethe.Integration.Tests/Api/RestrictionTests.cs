using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Exports;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// Restriction of processing (API.md, Records; Art. 18): the tenant's admins restrict with a ground and lift, the service reads
/// it to gate processing, records stay readable, every change is kept and audited without its reason, nobody else reaches it,
/// an export shows it and an erasure takes it with the subject.
/// </summary>
public sealed class RestrictionTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Path(ErasureScenario scenario, string subject) => $"/v1/tenants/{scenario.Tenant}/subjects/{subject}/restriction";

    [Fact]
    public async Task An_admin_restricts_with_a_ground_then_lifts_and_the_service_reads_each_state_while_the_records_stay_readable()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rst", timeScale: 1);
        await scenario.SeedAsync("anna", fileVersions: 1);

        var restricted = await scenario.Admin.PutAsJsonAsync(Path(scenario, "anna"), new { restricted = true, reason = "accuracy contested" }, Ct);
        var seenByService = await (await scenario.Service.GetAsync(Path(scenario, "anna"), Ct)).ReadJsonAsync();
        var record = await scenario.GetRecordAsync("anna", 0);
        var lifted = await scenario.Admin.PutAsJsonAsync(Path(scenario, "anna"), new { restricted = false }, Ct);
        var after = await (await scenario.Admin.GetAsync(Path(scenario, "anna"), Ct)).ReadJsonAsync();

        restricted.StatusCode.Should().Be(HttpStatusCode.OK, await restricted.Content.ReadAsStringAsync(Ct));
        (seenByService.GetProperty("restricted").GetBoolean(), seenByService.GetProperty("reason").ValueKind, seenByService.GetProperty("history").GetArrayLength())
            .Should().Be((true, JsonValueKind.Null, 0), "the service gates on the state; the ground and the history are the admins'");
        var seenByAdmin = await restricted.ReadJsonAsync();
        (seenByAdmin.GetProperty("reason").GetString(), seenByAdmin.GetProperty("updatedBy").GetString()).Should().Be(("accuracy contested", "admin-ines"));
        record.StatusCode.Should().Be(HttpStatusCode.OK, "a restricted subject's records are kept and readable");
        lifted.StatusCode.Should().Be(HttpStatusCode.OK);
        after.GetProperty("restricted").GetBoolean().Should().BeFalse();
        after.GetProperty("history").EnumerateArray().Select(c => (c.GetProperty("restricted").GetBoolean(), c.GetProperty("reason").GetString()))
            .Should().Equal((true, "accuracy contested"), (false, null));
    }

    [Fact]
    public async Task Each_change_is_audited_with_its_direction_and_never_its_reason()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rsa", timeScale: 1);
        (await scenario.Admin.PutAsJsonAsync(Path(scenario, "ben"), new { restricted = true, reason = "objection pending: ben's diagnosis disputed" }, Ct)).EnsureSuccessStatusCode();
        (await scenario.Admin.PutAsJsonAsync(Path(scenario, "ben"), new { restricted = false }, Ct)).EnsureSuccessStatusCode();

        var set = (await scenario.AuditEventuallyAsync("restriction.set", 1)).Single();
        var lift = (await scenario.AuditEventuallyAsync("restriction.lift", 1)).Single();

        var subjectRef = set.GetProperty("details").GetProperty("subjectRef").GetString()!;
        subjectRef.Should().MatchRegex("^[0-9a-f]{64}$", "the subject is named by its keyed ref");
        set.GetProperty("target").GetString().Should().Be($"subject/{subjectRef}/restriction");
        set.GetProperty("details").GetProperty("restricted").GetBoolean().Should().BeTrue();
        lift.GetProperty("details").GetProperty("restricted").GetBoolean().Should().BeFalse();
        set.ToString().Should().NotContain("diagnosis").And.NotContain("ben\"", "the audit names the subject by its ref only");
    }

    [Fact]
    public async Task Subjects_auditors_services_writing_and_other_tenants_get_403_and_change_nothing()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rsf", timeScale: 1);
        using var anna = api.ClientWithToken(scenario.Tenant, Roles.Subject, "anna");
        using var auditor = api.ClientWithToken(scenario.Tenant, Roles.Auditor);
        using var stranger = api.ClientWithToken($"rsx-{Guid.NewGuid():N}"[..20], Roles.TenantAdmin);
        var body = new { restricted = true, reason = "accuracy contested" };

        var refused = new[]
        {
            await anna.PutAsJsonAsync(Path(scenario, "anna"), body, Ct),
            await anna.GetAsync(Path(scenario, "anna"), Ct),
            await auditor.PutAsJsonAsync(Path(scenario, "anna"), body, Ct),
            await scenario.Service.PutAsJsonAsync(Path(scenario, "anna"), body, Ct),
            await stranger.PutAsJsonAsync(Path(scenario, "anna"), body, Ct),
            await stranger.GetAsync(Path(scenario, "anna"), Ct),
        };

        refused.Select(r => r.StatusCode).Should().OnlyContain(s => s == HttpStatusCode.Forbidden);
        var state = await (await scenario.Admin.GetAsync(Path(scenario, "anna"), Ct)).ReadJsonAsync();
        state.GetProperty("restricted").GetBoolean().Should().BeFalse();
        state.GetProperty("history").GetArrayLength().Should().Be(0);
    }

    [Theory]
    [InlineData("anna", """{"reason":"accuracy contested"}""", "restricted")]
    [InlineData("anna", """{"restricted":true}""", "reason")]
    [InlineData("anna", """{"restricted":true,"reason":"   "}""", "reason")]
    [InlineData("anna", """{"restricted":"yes","reason":"accuracy contested"}""", null)]
    [InlineData("an na", """{"restricted":true,"reason":"accuracy contested"}""", "subjectId")]
    public async Task Bad_restriction_input_is_a_400_naming_the_field_and_changes_nothing(string subject, string body, string? field)
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rsb", timeScale: 1);

        using var response = await scenario.Admin.PutAsync(Path(scenario, Uri.EscapeDataString(subject)), new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync(Ct));
        if (field is not null)
        {
            (await response.ReadJsonAsync()).GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(field);
        }

        var state = await (await scenario.Admin.GetAsync(Path(scenario, "anna"), Ct)).ReadJsonAsync();
        (state.GetProperty("restricted").GetBoolean(), state.GetProperty("history").GetArrayLength()).Should().Be((false, 0));
    }

    [Fact]
    public async Task A_reason_over_500_characters_is_a_400()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rsl", timeScale: 1);

        var response = await scenario.Admin.PutAsJsonAsync(Path(scenario, "anna"), new { restricted = true, reason = new string('x', 501) }, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.ReadJsonAsync()).GetProperty("errors").TryGetProperty("reason", out _).Should().BeTrue();
    }

    [Fact]
    public async Task A_subject_s_export_carries_its_restriction()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rse", timeScale: 1);
        await scenario.SeedAsync("anna", fileVersions: 1);
        (await scenario.Admin.PutAsJsonAsync(Path(scenario, "anna"), new { restricted = true, reason = "processing unlawful" }, Ct)).EnsureSuccessStatusCode();

        var job = await ExportTests.SubmitAndCompleteAsync(scenario, "anna", "zip");
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        var volume = ExportTests.Unzip(await ExportTests.DownloadAsync(admin, scenario.Tenant, job.GetProperty("id").GetString()!, 1));

        using var restriction = JsonDocument.Parse(volume["restriction.json"]);
        (restriction.RootElement.GetProperty("restricted").GetBoolean(), restriction.RootElement.GetProperty("reason").GetString()).Should().Be((true, "processing unlawful"));
    }

    [Fact]
    public async Task A_change_during_the_subject_s_erasure_is_a_409_and_the_completed_erasure_takes_the_restriction_with_it()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rsz");
        await scenario.SeedAsync("carla", fileVersions: 1);
        (await scenario.Admin.PutAsJsonAsync(Path(scenario, "carla"), new { restricted = true, reason = "accuracy contested" }, Ct)).EnsureSuccessStatusCode();
        var jobId = (await (await scenario.SubmitErasureAsync("carla")).ReadJsonAsync()).GetProperty("id").GetString()!;

        var during = await scenario.Admin.PutAsJsonAsync(Path(scenario, "carla"), new { restricted = false }, Ct);
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);
        var after = await (await scenario.Admin.GetAsync(Path(scenario, "carla"), Ct)).ReadJsonAsync();

        during.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await during.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/erasure-in-progress");
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        job.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(6, "3 records, 1 consent, 1 file and the restriction");
        (after.GetProperty("restricted").GetBoolean(), after.GetProperty("history").GetArrayLength()).Should().Be((false, 0), "the restriction and its history went with the subject");
    }
}
