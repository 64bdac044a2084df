using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Requests;

/// <summary>
/// The approval policy (issue 18, item 1; API.md, Approval): a deletion or export waits in awaiting-approval with no execution
/// until a tenant admin approves it (under four-eyes, another one than the submitter) or denies it; with
/// pauseApprovalsOnFailure, nothing is approved while a request of the tenant is failed.
/// </summary>
public sealed class ApprovalTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task SetRequestSettingsAsync(ErasureScenario scenario, object settings)
    {
        var response = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/requests", settings, Ct);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
    }

    private static async Task<JsonElement> SubmitAsync(ErasureScenario scenario, string type, string subject, HttpClient? client = null)
    {
        var response = await (client ?? scenario.Admin).PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests", new { type, subjectId = subject, reason = "asked by e-mail" }, Ct);
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(Ct));
        return await response.ReadJsonAsync();
    }

    private static Task<HttpResponseMessage> ApproveAsync(ErasureScenario scenario, HttpClient approver, string jobId) =>
        approver.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/approve", null, Ct);

    [Fact]
    public async Task Under_four_eyes_the_submitter_cannot_approve_their_own_erasure_and_a_second_admin_starts_it()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "eyes");
        await scenario.SeedAsync("ines", fileVersions: 1);
        await SetRequestSettingsAsync(scenario, new { approval = "four-eyes" });
        using var second = api.ClientWithToken(scenario.Tenant, Roles.TenantAdmin, "admin-2");
        // The same person with one more role is still the same person (a subject role once made the audit name "data-subject").
        using var sameWithMoreRoles = api.ClientWithRoles(scenario.Tenant, [Roles.Subject, Roles.TenantAdmin], "admin-ines");

        var submitted = await SubmitAsync(scenario, "deletion", "ines");
        var jobId = submitted.GetProperty("id").GetString()!;
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        var waiting = await scenario.JobAsync(jobId);
        var own = await ApproveAsync(scenario, scenario.Admin, jobId);
        var ownAgain = await ApproveAsync(scenario, sameWithMoreRoles, jobId);
        var stillWaiting = await scenario.JobAsync(jobId);
        var approved = await ApproveAsync(scenario, second, jobId);

        submitted.GetProperty("status").GetString().Should().Be("awaiting-approval");
        waiting.GetProperty("status").GetString().Should().Be("awaiting-approval", "nothing runs before an approval");
        waiting.GetProperty("counts").GetProperty("softDeleted").GetInt64().Should().Be(0);
        (await scenario.ListRecordsAsync("ines")).StatusCode.Should().Be(HttpStatusCode.OK);
        own.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await own.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/four-eyes");
        ownAgain.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        stillWaiting.GetProperty("status").GetString().Should().Be("awaiting-approval", "a refused approval changes nothing");
        approved.StatusCode.Should().Be(HttpStatusCode.Accepted, await approved.Content.ReadAsStringAsync(Ct));
        var decision = (await approved.ReadJsonAsync()).GetProperty("decision");
        decision.GetProperty("decision").GetString().Should().Be("approved");
        decision.GetProperty("by").GetString().Should().Be("admin-2");
        var (done, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);
        done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
        done.GetProperty("purgeAt").GetDateTimeOffset().Should().BeAfter(decision.GetProperty("at").GetDateTimeOffset(), "the recovery window starts at the approval");
        (await ApproveAsync(scenario, second, jobId)).StatusCode.Should().Be(HttpStatusCode.Conflict, "a decided request is not decided again");
    }

    [Fact]
    public async Task A_denied_export_never_runs_keeps_its_reason_and_frees_the_subject_for_a_new_request()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "deny");
        await scenario.SeedAsync("joel", fileVersions: 1);
        await SetRequestSettingsAsync(scenario, new { approval = "one" });
        using var subjectToken = api.ClientWithToken(scenario.Tenant, Roles.Subject, "joel");
        var erasure = (await SubmitAsync(scenario, "deletion", "joel", subjectToken)).GetProperty("id").GetString()!;

        var noReason = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests/{erasure}/deny", new { }, Ct);
        var bySubject = await subjectToken.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests/{erasure}/deny", new { reason = "changed my mind" }, Ct);
        var byService = await ApproveAsync(scenario, scenario.Service, erasure);
        var whileWaiting = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/joel/records",
            new { category = "note", fields = new { text = "written while the erasure waits" } }, Ct);
        var denied = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests/{erasure}/deny", new { reason = "identity not verified" }, Ct);
        var approveAfter = await ApproveAsync(scenario, scenario.Admin, erasure);
        var next = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests", new { type = "deletion", subjectId = "joel" }, Ct);

        noReason.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        bySubject.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        byService.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        whileWaiting.StatusCode.Should().Be(HttpStatusCode.Conflict, "an erasure waiting for approval is open: the subject's writes wait with it");
        denied.StatusCode.Should().Be(HttpStatusCode.OK, await denied.Content.ReadAsStringAsync(Ct));
        var view = await denied.ReadJsonAsync();
        view.GetProperty("status").GetString().Should().Be("denied");
        view.GetProperty("decision").GetProperty("reason").GetString().Should().Be("identity not verified");
        view.GetProperty("completedAt").ValueKind.Should().NotBe(JsonValueKind.Null);
        approveAfter.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await approveAfter.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/not-awaiting-approval");
        next.StatusCode.Should().Be(HttpStatusCode.Accepted, "the denial released the subject");
        (await scenario.ListRecordsAsync("joel")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await scenario.JobAsync(erasure)).GetProperty("counts").GetProperty("softDeleted").GetInt64().Should().Be(0, "a denied erasure hid nothing");
    }

    [Fact]
    public async Task With_pause_on_failure_nothing_is_approved_while_a_request_is_failed_and_a_retry_lifts_the_pause()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "pause", 29 * 86_400 / 3);
        await scenario.SeedAsync("rosa", fileVersions: 1);
        await scenario.SeedAsync("sven", fileVersions: 1);
        await SetRequestSettingsAsync(scenario, new { approval = "one", pauseApprovalsOnFailure = true });
        var stuck = await scenario.PutUnpurgeableItemAsync("rosa");
        var failing = (await SubmitAsync(scenario, "deletion", "rosa")).GetProperty("id").GetString()!;
        (await ApproveAsync(scenario, scenario.Admin, failing)).StatusCode.Should().Be(HttpStatusCode.Accepted);
        var (failed, _) = await scenario.WaitForJobAsync(failing, ErasureScenario.IsClosed);
        failed.GetProperty("status").GetString().Should().Be("failed", failed.ToString());
        var failureNotice = await NotificationTests.OutboxAsync(scenario, items => NotificationTests.Has(items, "request.failed", failing));
        NotificationTests.Has(failureNotice, "request.failed", failing).Should().BeTrue("the admins are told a request failed");
        var export = (await SubmitAsync(scenario, "export", "sven")).GetProperty("id").GetString()!;

        var paused = await ApproveAsync(scenario, scenario.Admin, export);
        var afterPause = await scenario.JobAsync(export);
        var closeInPurge = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{failing}/cancel", null, Ct);
        await RemoveStuckItemAsync(scenario, stuck);
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{failing}/retry", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Accepted);
        var approved = await ApproveAsync(scenario, scenario.Admin, export);

        paused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var problem = await paused.ReadJsonAsync();
        problem.GetProperty("type").GetString().Should().EndWith("/approvals-paused");
        problem.GetProperty("jobId").GetString().Should().Be(failing, "the problem names the request that holds approvals up");
        afterPause.GetProperty("status").GetString().Should().Be("awaiting-approval");
        closeInPurge.StatusCode.Should().Be(HttpStatusCode.Conflict, "an erasure that failed in its purge is retried, never abandoned");
        approved.StatusCode.Should().Be(HttpStatusCode.Accepted, await approved.Content.ReadAsStringAsync(Ct));
        var (exported, _) = await scenario.WaitForJobAsync(export, ErasureScenario.IsClosed);
        exported.GetProperty("status").GetString().Should().Be("completed", exported.ToString());
    }

    [Fact]
    public async Task Request_settings_are_validated_field_by_field_and_a_rejected_change_keeps_the_old_ones()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rset");
        await SetRequestSettingsAsync(scenario, new { approval = "one", requestDeadline = "P45D", notifications = new { emails = new[] { "privacy@example.com" } } });

        var bad = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/requests",
            new { approval = "two", requestDeadline = "P91D", notifications = new { emails = new[] { "not-an-address", "privacy@example.com", "privacy@example.com" } } }, Ct);
        var tooShort = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/requests", new { requestDeadline = "P7D" }, Ct);
        using var service = api.ClientWithToken(scenario.Tenant, Roles.Service, "app");
        var byService = await service.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/requests", new { approval = "none" }, Ct);
        var settings = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/settings", Ct)).ReadJsonAsync();
        var submitted = await SubmitAsync(scenario, "export", "kim");

        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await bad.ReadJsonAsync()).GetProperty("errors");
        errors.EnumerateObject().Select(e => e.Name).Should().BeEquivalentTo(["approval", "requestDeadline", "notifications.emails[0]", "notifications.emails[2]"]);
        tooShort.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        byService.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var requests = settings.GetProperty("requests");
        requests.GetProperty("approval").GetString().Should().Be("one");
        requests.GetProperty("requestDeadline").GetString().Should().Be("P45D");
        requests.GetProperty("notifications").GetProperty("emails").EnumerateArray().Select(e => e.GetString()).Should().Equal("privacy@example.com");
        var expected = submitted.GetProperty("createdAt").GetDateTimeOffset().AddSeconds(45.0 * 86_400 / ErasureScenario.FastScale);
        submitted.GetProperty("deadline").GetDateTimeOffset().Should().BeCloseTo(expected, TimeSpan.FromMilliseconds(5), "45 days on the tenant's clock");
    }

    [Fact]
    public async Task A_request_past_its_deadline_is_listed_as_overdue_and_dueBefore_selects_by_deadline()
    {
        // 30 scaled days are about eight seconds: the second request and the three lists must fit before its deadline.
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "late", timeScale: 29 * 86_400 / 8);
        await SetRequestSettingsAsync(scenario, new { approval = "one" });
        var late = (await SubmitAsync(scenario, "export", "lena")).GetProperty("id").GetString()!;
        var lateJob = await scenario.JobAsync(late);
        var deadline = lateJob.GetProperty("deadline").GetDateTimeOffset();
        // Wait until the first request's deadline has passed, then submit another.
        await Task.Delay(deadline - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300), Ct);
        var onTime = (await SubmitAsync(scenario, "export", "lars")).GetProperty("id").GetString()!;

        var overdue = await ListAsync(scenario, "overdue=true");
        var notOverdue = await ListAsync(scenario, "overdue=false");
        var dueSoon = await ListAsync(scenario, $"dueBefore={Uri.EscapeDataString(deadline.AddMilliseconds(1).ToString("O"))}");
        var badFilter = await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?overdue=maybe&dueBefore=soon", Ct);

        lateJob.GetProperty("overdue").GetBoolean().Should().BeFalse("not yet when it was read");
        overdue.Should().Equal(late);
        notOverdue.Should().Equal(onTime);
        dueSoon.Should().Equal(late);
        (await scenario.JobAsync(late)).GetProperty("overdue").GetBoolean().Should().BeTrue();
        badFilter.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badFilter.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().BeEquivalentTo(["overdue", "dueBefore"]);
    }

    private static async Task<List<string>> ListAsync(ErasureScenario scenario, string query)
    {
        var response = await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?{query}", Ct);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return [.. (await response.ReadJsonAsync()).GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()!)];
    }

    private async Task RemoveStuckItemAsync(ErasureScenario scenario, string stuck)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        await dynamo.DeleteItemAsync(ErasureScenario.InventoryTable, new() { ["pk"] = new() { S = $"TENANT#{scenario.Tenant}" }, ["sk"] = new() { S = $"ITEM#{stuck}" } }, Ct);
    }
}
