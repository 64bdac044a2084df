using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Lethe.Aws.Configuration;
using Lethe.Aws.Jobs;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Erasure;

/// <summary>Cancel, restore, legal holds, concurrency and console stops of erasures, against the local cloud.</summary>
public sealed class ErasureControlTests : IClassFixture<LetheApiFactory>
{
    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public ErasureControlTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A time scale that makes the 29-day window last about <paramref name="windowSeconds"/>. Tests that act inside the window
    /// (restore, cancel, a new hold) take 20 s: in a full run on two cores the soft-delete alone can take several seconds.
    /// </summary>
    private static int ScaleFor(int windowSeconds) => 29 * 86_400 / windowSeconds;

    [Fact]
    public async Task Cancel_inside_the_window_leaves_items_restorable_until_purgeAt_and_the_sweep_purges_the_rest()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "ecn", ScaleFor(20));
        await scenario.SeedAsync("dora");
        var jobId = await scenario.SubmitAndWaitForWindowAsync("dora");

        var cancelled = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct);
        cancelled.StatusCode.Should().Be(HttpStatusCode.OK);
        (await cancelled.ReadJsonAsync()).GetProperty("status").GetString().Should().Be("cancelled");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        var execution = await _cloud.Cloud.StepFunctions.WaitUntilClosedAsync(
            StepFunctionsWorkflowStarterArn(jobId), TimeSpan.FromSeconds(30));
        execution.Status.Should().Be("ABORTED");

        (await scenario.ListRecordsAsync("dora")).Should().Match<HttpResponseMessage>(r => r.IsSuccessStatusCode);
        (await (await scenario.ListRecordsAsync("dora")).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0, "cancel undoes nothing");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/items/{scenario.Records["dora"][0]}/restore", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await scenario.GetRecordAsync("dora", 0)).StatusCode.Should().Be(HttpStatusCode.OK);

        var early = await scenario.InvokeAsync("soft-delete-sweep", $$"""{"tenantIds":["{{scenario.Tenant}}"]}""");
        early.Payload.GetProperty("purged").GetInt32().Should().Be(0, "nothing is purged inside the window");

        var purgeAt = (await scenario.JobAsync(jobId)).GetProperty("purgeAt").GetDateTimeOffset();
        await Task.Delay(purgeAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200), Ct);
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/items/{scenario.Records["dora"][1]}/restore", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Conflict);

        var swept = await scenario.InvokeAsync("soft-delete-sweep", $$"""{"tenantIds":["{{scenario.Tenant}}"]}""");
        swept.Failed.Should().BeFalse(swept.Payload.ToString());
        swept.Payload.GetProperty("purged").GetInt32().Should().Be(4);
        (await scenario.RecordItemExistsAsync(scenario.Records["dora"][1])).Should().BeFalse();
        (await scenario.ObjectVersionsAsync(scenario.Files["dora"])).Should().BeEmpty();
        (await scenario.GetRecordAsync("dora", 0)).StatusCode.Should().Be(HttpStatusCode.OK, "the restored record survives the sweep");
    }

    [Fact]
    public async Task An_erasure_paused_by_a_hold_before_its_purge_can_still_be_cancelled()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "ehc", ScaleFor(60));
        await scenario.SeedAsync("hugo", fileVersions: 1);
        var jobId = await scenario.SubmitAndWaitForWindowAsync("hugo");
        (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "hugo", reason = "audit" }, Ct)).EnsureSuccessStatusCode();
        await scenario.WaitForJobAsync(jobId, j => j.GetProperty("phase").GetString() == "held");

        var cancelled = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct);

        cancelled.StatusCode.Should().Be(HttpStatusCode.OK, await cancelled.Content.ReadAsStringAsync(Ct));
        (await scenario.JobAsync(jobId)).GetProperty("status").GetString().Should().Be("cancelled");
        var write = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/hugo/records",
            new { category = "note", fields = new Dictionary<string, string> { ["text"] = "after the cancel" } }, Ct);
        write.StatusCode.Should().Be(HttpStatusCode.Created, "the cancel ended the subject's erasure lock");
    }

    [Fact]
    public async Task A_request_restored_while_held_stays_restored_when_the_release_resumes_the_erasure()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "ehr", ScaleFor(20));
        await scenario.SeedAsync("hedda", fileVersions: 1);
        var jobId = await scenario.SubmitAndWaitForWindowAsync("hedda");
        var placed = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "hedda", reason = "audit" }, Ct);
        var holdId = (await placed.ReadJsonAsync()).GetProperty("id").GetString()!;
        await scenario.WaitForJobAsync(jobId, j => j.GetProperty("phase").GetString() == "held");

        var restored = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/restore", null, Ct);
        restored.StatusCode.Should().Be(HttpStatusCode.OK, "a paused erasure is still inside its window");
        (await scenario.Admin.DeleteAsync($"/v1/tenants/{scenario.Tenant}/legal-holds/{holdId}", Ct)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        job.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(0, "the resumed soft-delete leaves what was restored from this erasure alone");
        foreach (var index in Enumerable.Range(0, scenario.Records["hedda"].Count))
        {
            (await scenario.GetRecordAsync("hedda", index)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await scenario.ObjectVersionsAsync(scenario.Files["hedda"])).Should().HaveCount(1);
    }

    [Fact]
    public async Task A_restored_item_is_left_out_of_the_certificate_and_stays_readable_under_a_fresh_key()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "ers", ScaleFor(20));
        await scenario.SeedAsync("emil");
        (await scenario.GetRecordAsync("emil", 0)).StatusCode.Should().Be(HttpStatusCode.OK, "the API now holds emil's KEK in its cache");
        var jobId = await scenario.SubmitAndWaitForWindowAsync("emil");

        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/items/{scenario.Records["emil"][0]}/restore", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        var certificate = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync()).GetProperty("certificate");
        certificate.GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(4);
        certificate.GetProperty("counts").GetProperty("restoredBeforePurge").GetInt64().Should().Be(1);
        certificate.GetProperty("methods").GetProperty("cryptoShred").GetString().Should().Be("kek-replaced");
        var survivor = await scenario.GetRecordAsync("emil", 0);
        survivor.StatusCode.Should().Be(HttpStatusCode.OK, await survivor.Content.ReadAsStringAsync(Ct));
        (await survivor.ReadJsonAsync()).GetProperty("fields").GetProperty("body").GetString().Should().StartWith("Coach: hello emil");
        (await scenario.RecordItemExistsAsync(scenario.Records["emil"][1])).Should().BeFalse();
    }

    [Fact]
    public async Task A_subject_under_legal_hold_cannot_be_erased_and_nothing_is_stored()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "eh1");
        await scenario.SeedAsync("fritz", fileVersions: 1);
        (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "fritz", reason = "litigation 2026-17" }, Ct)).EnsureSuccessStatusCode();

        var refused = await scenario.SubmitErasureAsync("fritz");

        refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await refused.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/legal-hold");
        (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?subjectId=fritz", Ct)).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
        (await (await scenario.ListRecordsAsync("fritz")).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(3);
    }

    [Fact]
    public async Task A_legal_hold_placed_during_the_window_pauses_the_erasure_and_its_release_resumes_it_to_a_certificate()
    {
        // 20 s: the soft delete, the hold and the pause must all happen inside the window, even on a loaded CI machine.
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "eh2", ScaleFor(20));
        await scenario.SeedAsync("greta", fileVersions: 2);
        var gretaRef = await scenario.SubjectRefAsync("greta");
        var jobId = await scenario.SubmitAndWaitForWindowAsync("greta");
        var placed = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "greta", reason = "regulator inquiry" }, Ct);
        placed.EnsureSuccessStatusCode();
        var holdId = (await placed.ReadJsonAsync()).GetProperty("id").GetString()!;

        var (paused, _) = await scenario.WaitForJobAsync(jobId, j => j.GetProperty("phase").GetString() == "held" || ErasureScenario.IsClosed(j));
        paused.GetProperty("purgeAt").GetDateTimeOffset().Should().BeAfter(DateTimeOffset.UtcNow, "the hold pauses the erasure at once, not when its window ends");
        var machine = _cloud.Cloud.Environment[ResourceNames.WorkflowVariable("deletion")];
        await _cloud.Cloud.StepFunctions.WaitUntilClosedAsync(StepFunctionsWorkflowStarter.ExecutionArn(machine, $"{jobId}-1"));
        var purgeAt = paused.GetProperty("purgeAt").GetDateTimeOffset();
        await Task.Delay(purgeAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200), Ct);
        // The window is over, but the sweep leaves a paused erasure's items to that erasure (it purges, shreds and certifies).
        var swept = await scenario.InvokeAsync("soft-delete-sweep", $$"""{"tenantIds":["{{scenario.Tenant}}"]}""");

        paused.GetProperty("status").GetString().Should().Be("running", paused.ToString());
        paused.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(0);
        swept.Failed.Should().BeFalse(swept.Payload.ToString());
        foreach (var recordId in scenario.Records["greta"])
        {
            (await scenario.RecordItemExistsAsync(recordId)).Should().BeTrue("nothing of a held subject is deleted");
        }

        (await scenario.ObjectVersionsAsync(scenario.Files["greta"])).Should().HaveCount(2);
        (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).StatusCode.Should().Be(HttpStatusCode.Conflict);

        (await scenario.Admin.DeleteAsync($"/v1/tenants/{scenario.Tenant}/legal-holds/{holdId}", Ct)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        job.GetProperty("executionName").GetString().Should().Be($"{jobId}-2", "the release resumes the erasure in a fresh execution");
        foreach (var recordId in scenario.Records["greta"])
        {
            (await scenario.RecordItemExistsAsync(recordId)).Should().BeFalse();
        }

        (await scenario.ObjectVersionsAsync(scenario.Files["greta"])).Should().BeEmpty();
        (await scenario.KekExistsAsync(gretaRef)).Should().BeFalse("nothing survives, so the key is shredded");
        var certificate = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync()).GetProperty("certificate");
        certificate.GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(5);
        certificate.GetProperty("counts").GetProperty("retainedUnderLegalHold").GetInt64().Should().Be(0);
    }

    [Fact]
    public async Task Two_subjects_erased_at_once_both_complete_each_with_its_own_counts()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "e2x", ScaleFor(3));
        await scenario.SeedAsync("hana");
        await scenario.SeedAsync("ivo");

        var submissions = await Task.WhenAll(scenario.SubmitErasureAsync("hana"), scenario.SubmitErasureAsync("ivo"));
        var ids = new List<string>();
        foreach (var submitted in submissions)
        {
            submitted.StatusCode.Should().Be(HttpStatusCode.Accepted);
            ids.Add((await submitted.ReadJsonAsync()).GetProperty("id").GetString()!);
        }

        var jobs = await Task.WhenAll(ids.Select(id => scenario.WaitForJobAsync(id, ErasureScenario.IsClosed)));

        jobs.Select(j => j.Job.GetProperty("status").GetString()).Should().AllBe("completed");
        jobs.Select(j => j.Job.GetProperty("counts").GetProperty("purged").GetInt64()).Should().AllBeEquivalentTo(5L);
        (await scenario.ObjectVersionsAsync(scenario.Files["hana"])).Should().BeEmpty();
        (await scenario.ObjectVersionsAsync(scenario.Files["ivo"])).Should().BeEmpty();
    }

    [Fact]
    public async Task A_hundred_concurrent_submissions_with_one_key_make_exactly_one_job()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "eid", timeScale: 1);
        await scenario.SeedAsync("jana", fileVersions: 1);
        var key = $"key-{Guid.NewGuid():N}";

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => scenario.SubmitErasureAsync("jana", idempotencyKey: key)));

        responses.Select(r => r.StatusCode).Should().OnlyContain(s => s == HttpStatusCode.Accepted || s == HttpStatusCode.OK);
        responses.Count(r => r.StatusCode == HttpStatusCode.Accepted).Should().Be(1);
        var ids = new HashSet<string>();
        foreach (var response in responses)
        {
            ids.Add((await response.ReadJsonAsync()).GetProperty("id").GetString()!);
        }

        ids.Should().ContainSingle();
        var listed = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?subjectId=jana", Ct)).ReadJsonAsync();
        listed.GetProperty("items").GetArrayLength().Should().Be(1);
        using var other = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{scenario.Tenant}/requests")
        {
            Content = JsonContent.Create(new { type = "deletion", subjectId = "jana", reason = "a different body" }),
        };
        other.Headers.Add("Idempotency-Key", key);
        var reused = await scenario.Service.SendAsync(other, Ct);
        reused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await reused.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/idempotency-key-reused");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{ids.Single()}/cancel", null, Ct)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_stop_in_the_Step_Functions_console_shows_in_the_job()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "est", timeScale: 1);
        await scenario.SeedAsync("karl", fileVersions: 1);
        var jobId = await scenario.SubmitAndWaitForWindowAsync("karl");

        await _cloud.Cloud.StepFunctions.StopExecutionAsync(new StopExecutionRequest(StepFunctionsWorkflowStarterArn(jobId), "Operator", "stopped in the console"), Ct);
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(30));

        job.GetProperty("status").GetString().Should().Be("cancelled", "a stop before the purge is a cancellation");
        var write = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/karl/records",
            new { category = "note", fields = new Dictionary<string, string> { ["text"] = "after the stop" } }, Ct);
        write.StatusCode.Should().Be(HttpStatusCode.Created, "the stop ended the subject's erasure lock");
    }

    [Fact]
    public async Task A_subject_token_submits_and_reads_only_its_own_requests()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "esu", timeScale: 1);
        await scenario.SeedAsync("lena", fileVersions: 1);
        await scenario.SeedAsync("milo", fileVersions: 1);
        using var lena = _api.ClientWithToken(scenario.Tenant, Roles.Subject, "lena");
        var milosJob = (await (await scenario.SubmitErasureAsync("milo")).ReadJsonAsync()).GetProperty("id").GetString()!;

        var own = await scenario.SubmitErasureAsync("lena", lena);
        var foreign = await scenario.SubmitErasureAsync("milo", lena);
        var listed = await (await lena.GetAsync($"/v1/tenants/{scenario.Tenant}/requests", Ct)).ReadJsonAsync();

        own.StatusCode.Should().Be(HttpStatusCode.Accepted);
        foreign.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await lena.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{milosJob}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await lena.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?subjectId=milo", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        listed.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("subjectId").GetString()).Should().Equal("lena");
        (await lena.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{milosJob}/cancel", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        foreach (var id in new[] { milosJob, (await own.ReadJsonAsync()).GetProperty("id").GetString()! })
        {
            (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{id}/cancel", null, Ct)).EnsureSuccessStatusCode();
        }
    }

    [Theory]
    [InlineData("""{"type":"shred","subjectId":"nina"}""", "type")]
    [InlineData("""{"type":"deletion"}""", "subjectId")]
    [InlineData("""{"type":"deletion","subjectId":"nina","format":"zip"}""", "format")]
    [InlineData("""{"type":"deletion","subjectId":"has space"}""", "subjectId")]
    [InlineData("""{"type":"deletion","subjectId":"nina","reason":"__LONG__"}""", "reason")]
    [InlineData("""{"type":"deletion",""", null)]
    [InlineData("""[]""", null)]
    public async Task Bad_submissions_are_a_400_and_store_nothing(string body, string? field)
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "ebd", timeScale: 1);
        using var content = new StringContent(body.Replace("__LONG__", new string('x', 1001), StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json");

        var response = await scenario.Service.PostAsync($"/v1/tenants/{scenario.Tenant}/requests", content, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await response.ReadJsonAsync();
        if (field is not null)
        {
            problem.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(problem.ToString());
        }

        (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests", Ct)).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Requests_answer_as_if_foreign_or_unknown_jobs_did_not_exist_and_refuse_moves_they_cannot_make()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "ewr", timeScale: 1);
        await scenario.SeedAsync("otto", fileVersions: 1);
        var jobId = await scenario.SubmitAndWaitForWindowAsync("otto");
        using var stranger = _api.ClientWithToken("other-tenant", Roles.TenantAdmin, "admin-x");
        using var auditor = _api.ClientWithToken(scenario.Tenant, Roles.Auditor, "auditor-1");
        using var badKey = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{scenario.Tenant}/requests") { Content = JsonContent.Create(new { type = "deletion", subjectId = "otto" }) };
        badKey.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));

        (await stranger.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/job_doesnotexist", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await auditor.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await auditor.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await scenario.Service.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/retry", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await scenario.Service.SendAsync(badKey, Ct)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?status=done", Ct)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/cancel", null, Ct)).EnsureSuccessStatusCode();
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/restore", null, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await (await scenario.ListRecordsAsync("otto")).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(3, "restoring the request brings every item back");
    }

    private string StepFunctionsWorkflowStarterArn(string jobId) =>
        Lethe.Aws.Jobs.StepFunctionsWorkflowStarter.ExecutionArn(_cloud.Cloud.Environment["LETHE_WORKFLOW_DELETION"], $"{jobId}-1");
}

/// <summary>Failed items: the job ends failed and lists them, no certificate claims them, and retry processes them alone.</summary>
public sealed class ErasureRetryTests : IClassFixture<LetheApiFactory>
{
    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public ErasureRetryTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Items_that_cannot_be_erased_fail_the_job_without_a_certificate_and_a_retry_finishes_the_rest()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "ert", 29 * 86_400 / 3);
        await scenario.SeedAsync("rosa", fileVersions: 1);
        var subjectRef = await scenario.SubjectRefAsync("rosa");
        var stuck = await scenario.PutUnpurgeableItemAsync("rosa");
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        var inventory = ErasureScenario.InventoryTable;
        var jobId = (await (await scenario.SubmitErasureAsync("rosa")).ReadJsonAsync()).GetProperty("id").GetString()!;

        var (failed, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);

        failed.GetProperty("status").GetString().Should().Be("failed", failed.ToString());
        failed.GetProperty("errors").EnumerateArray().Should().Contain(e => e.GetProperty("itemId").GetString() == stuck);
        failed.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(5);
        (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await scenario.KekExistsAsync(subjectRef)).Should().BeTrue("no shred while an item of the subject could not be erased");

        // The operator moves the archive to a store Lethe can reach (the object is already gone there): retry finishes it.
        await dynamo.UpdateItemAsync(new Amazon.DynamoDBv2.Model.UpdateItemRequest
        {
            TableName = inventory,
            Key = new() { ["pk"] = new() { S = $"TENANT#{scenario.Tenant}" }, ["sk"] = new() { S = $"ITEM#{stuck}" } },
            UpdateExpression = "SET #l = :l",
            ExpressionAttributeNames = new() { ["#l"] = "location" },
            ExpressionAttributeValues = new() { [":l"] = new() { M = new() { ["store"] = new() { S = "s3" }, ["bucket"] = new() { S = "Data" }, ["key"] = new() { S = $"{scenario.Tenant}/gone/{stuck}" } } } },
        }, Ct);
        var retried = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/retry", null, Ct);
        retried.StatusCode.Should().Be(HttpStatusCode.Accepted, await retried.Content.ReadAsStringAsync(Ct));
        (await retried.ReadJsonAsync()).GetProperty("executionName").GetString().Should().Be($"{jobId}-2");
        var (done, _) = await scenario.WaitForJobAsync(jobId, j => j.GetProperty("status").GetString() is "completed" or "cancelled" || (j.GetProperty("status").GetString() == "failed" && j.GetProperty("executionName").GetString()!.EndsWith("-2", StringComparison.Ordinal) && j.GetProperty("phase").GetString() != "purge"));

        done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
        done.GetProperty("errors").GetArrayLength().Should().Be(0);
        var certificate = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync()).GetProperty("certificate");
        certificate.GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(6, "an item already gone counts as erased");
        (await scenario.KekExistsAsync(subjectRef)).Should().BeFalse();
    }
}
