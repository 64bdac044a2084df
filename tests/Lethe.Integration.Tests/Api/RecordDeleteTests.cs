using System.Net;
using System.Net.Http.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// DELETE …/records/{id} (issue 18, item 5: item delete with a recovery window): hidden at once, restorable inside the window,
/// purged by the soft-delete sweep after it; refused for a held subject, another subject's record, or one deleted already.
/// </summary>
public sealed class RecordDeleteTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_deleted_record_is_hidden_at_once_restorable_inside_its_window_and_purged_by_the_sweep_after_it()
    {
        // A 10-second window: the delete, the checks and the restore must all fit inside it, even on a loaded CI machine.
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rdel", timeScale: 29 * 86_400 / 10);
        await scenario.SeedAsync("ida", fileVersions: 1);
        var (kept, gone) = (scenario.Records["ida"][0], scenario.Records["ida"][1]);

        var deleted = await scenario.Service.DeleteAsync($"/v1/tenants/{scenario.Tenant}/subjects/ida/records/{kept}", Ct);
        var again = await scenario.Service.DeleteAsync($"/v1/tenants/{scenario.Tenant}/subjects/ida/records/{kept}", Ct);

        deleted.StatusCode.Should().Be(HttpStatusCode.OK, await deleted.Content.ReadAsStringAsync(Ct));
        var answer = await deleted.ReadJsonAsync();
        answer.GetProperty("state").GetString().Should().Be("soft_deleted");
        again.StatusCode.Should().Be(HttpStatusCode.Conflict, "it is deleted already");
        (await scenario.GetRecordAsync("ida", 0)).StatusCode.Should().Be(HttpStatusCode.NotFound, "hidden at once");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/items/{kept}/restore", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await scenario.GetRecordAsync("ida", 0)).StatusCode.Should().Be(HttpStatusCode.OK, "restored inside its window");

        var second = await (await scenario.Service.DeleteAsync($"/v1/tenants/{scenario.Tenant}/subjects/ida/records/{gone}", Ct)).ReadJsonAsync();
        var early = await scenario.InvokeAsync("soft-delete-sweep", $$"""{"tenantIds":["{{scenario.Tenant}}"]}""");
        early.Payload.GetProperty("purged").GetInt32().Should().Be(0, "nothing is purged inside the window");
        var purgeAt = second.GetProperty("purgeAt").GetDateTimeOffset();
        await Task.Delay(purgeAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200), Ct);
        var swept = await scenario.InvokeAsync("soft-delete-sweep", $$"""{"tenantIds":["{{scenario.Tenant}}"]}""");

        swept.Failed.Should().BeFalse(swept.Payload.ToString());
        swept.Payload.GetProperty("purged").GetInt32().Should().Be(1);
        (await scenario.RecordItemExistsAsync(gone)).Should().BeFalse("the record row is deleted");
        (await scenario.RecordItemExistsAsync(kept)).Should().BeTrue("the restored one stays");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/items/{gone}/restore", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Conflict, "too late");
    }

    [Fact]
    public async Task A_delete_is_refused_for_a_held_subject_another_subjects_record_and_a_subject_token()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rdelno");
        await scenario.SeedAsync("jan", fileVersions: 1);
        await scenario.SeedAsync("kim", fileVersions: 1);
        (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "jan", reason = "litigation" }, Ct)).EnsureSuccessStatusCode();
        using var subject = api.ClientWithToken(scenario.Tenant, Roles.Subject, "kim");

        var held = await scenario.Service.DeleteAsync($"/v1/tenants/{scenario.Tenant}/subjects/jan/records/{scenario.Records["jan"][0]}", Ct);
        var foreign = await scenario.Service.DeleteAsync($"/v1/tenants/{scenario.Tenant}/subjects/kim/records/{scenario.Records["jan"][1]}", Ct);
        var bySubject = await subject.DeleteAsync($"/v1/tenants/{scenario.Tenant}/subjects/kim/records/{scenario.Records["kim"][0]}", Ct);
        var unknown = await scenario.Service.DeleteAsync($"/v1/tenants/{scenario.Tenant}/subjects/kim/records/rec_nothing", Ct);
        var items = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/items?limit=500", Ct)).ReadJsonAsync();
        var kimRef = await scenario.SubjectRefAsync("kim");
        var consent = items.GetProperty("items").EnumerateArray().First(i => i.GetProperty("id").GetString()!.StartsWith("consent-", StringComparison.Ordinal)
            && i.GetProperty("subjectRef").GetString() == kimRef).GetProperty("id").GetString()!;
        var notARecord = await scenario.Service.DeleteAsync($"/v1/tenants/{scenario.Tenant}/subjects/kim/records/{consent}", Ct);
        var kimBeforeErasure = await scenario.GetRecordAsync("kim", 0);
        (await scenario.SubmitErasureAsync("kim")).StatusCode.Should().Be(HttpStatusCode.Accepted);
        var duringErasure = await scenario.Service.DeleteAsync($"/v1/tenants/{scenario.Tenant}/subjects/kim/records/{scenario.Records["kim"][1]}", Ct);

        held.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await held.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/legal-hold");
        foreign.StatusCode.Should().Be(HttpStatusCode.NotFound, "a record is checked against its own subject");
        bySubject.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        notARecord.StatusCode.Should().Be(HttpStatusCode.NotFound, "a consent is withdrawn, not deleted as a record");
        kimBeforeErasure.StatusCode.Should().Be(HttpStatusCode.OK, "the refused subject token deleted nothing");
        duringErasure.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await duringErasure.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/erasure-in-progress");
        (await scenario.GetRecordAsync("jan", 0)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await scenario.GetRecordAsync("jan", 1)).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
