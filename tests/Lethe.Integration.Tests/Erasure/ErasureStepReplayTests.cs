using System.Text.Json;
using Amazon.S3.Model;
using Lethe.Catalog;
using Lethe.Aws.Certificates;
using Lethe.Aws.Configuration;
using Lethe.Aws.Jobs;
using Lethe.Domain.Jobs;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Erasure;

/// <summary>
/// DESIGN.md: every step may run twice with the same input (a Lambda retry) and ends in the same state, with counters, audit
/// events and the certificate exactly once. Each handler of the deletion workflow is invoked twice, in order, through the
/// local cloud's Lambda API; the job, the journal and the inventory must not move on the second call.
/// </summary>
public sealed class ErasureStepReplayTests : IClassFixture<LetheApiFactory>
{
    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public ErasureStepReplayTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_step_run_twice_with_the_same_input_ends_in_the_same_state()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "erp", timeScale: 1);
        await scenario.SeedAsync("pia", fileVersions: 2);
        var jobId = await CreateJobWithoutExecutionAsync(scenario, "pia");
        var state = $$"""{"tenantId":"{{scenario.Tenant}}","jobId":"{{jobId}}","execution":1,"pageSize":2,"pagesPerExecution":1000}""";

        state = await TwiceAsync(scenario, jobId, "erasure-validate", state);
        do
        {
            state = await TwiceAsync(scenario, jobId, "erasure-soft-delete-page", state);
        }
        while (JsonDocument.Parse(state).RootElement.GetProperty("more").GetBoolean());

        state = await TwiceAsync(scenario, jobId, "erasure-begin-purge", state);
        do
        {
            state = await TwiceAsync(scenario, jobId, "erasure-purge-page", state);
        }
        while (JsonDocument.Parse(state).RootElement.GetProperty("more").GetBoolean());

        foreach (var step in new[] { "erasure-shred", "erasure-certify", "erasure-start-backup-scrub", "erasure-complete" })
        {
            state = await TwiceAsync(scenario, jobId, step, state);
        }

        var job = await scenario.JobAsync(jobId);
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        job.GetProperty("counts").GetProperty("total").GetInt64().Should().Be(5);
        job.GetProperty("counts").GetProperty("softDeleted").GetInt64().Should().Be(5);
        job.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(5);
        using var s3 = _cloud.Cloud.CreateS3Client();
        var certificates = await s3.ListVersionsAsync(new ListVersionsRequest
        {
            BucketName = ResourceNames.FromEnvironment().Bucket(ResourceCatalog.Certificates),
            Prefix = S3CertificateStore.Key(scenario.Tenant, jobId, "deletion"),
        }, Ct);
        (certificates.Versions ?? []).Should().ContainSingle("the certificate is written once");
        (await AuditActionsAsync(scenario.Tenant)).Where(a => a.StartsWith("erasure.", StringComparison.Ordinal)).GroupBy(a => a)
            .Should().OnlyContain(g => g.Key == "erasure.soft-delete" || g.Key == "erasure.purge" || g.Count() == 1);
        var actions = await AuditActionsAsync(scenario.Tenant);
        for (var waited = 0; !actions.Contains("notification.send") && waited < 300; waited++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
            actions = await AuditActionsAsync(scenario.Tenant);
        }

        actions.Count(a => a == "notification.send").Should().Be(1, "the completion run twice sends its notice once");
        var failure = await scenario.InvokeAsync("erasure-record-failure", $$$"""{"tenantId":"{{{scenario.Tenant}}}","jobId":"{{{jobId}}}","execution":1,"error":{"Error":"States.Timeout","Cause":"late"}}""");
        failure.Failed.Should().BeFalse();
        (await scenario.JobAsync(jobId)).GetProperty("status").GetString().Should().Be("completed", "a late failure report never reopens a finished job");
    }

    [Fact]
    public async Task A_long_erasure_hands_over_to_a_fresh_execution_and_still_completes()
    {
        var scenario = await ErasureScenario.CreateAsync(_api, _cloud, "eho", timeScale: 29 * 86_400 / 3);
        await scenario.SeedAsync("quinn", fileVersions: 1);
        var jobId = await CreateJobWithoutExecutionAsync(scenario, "quinn", purgeInPast: false);
        var input = $$"""{"tenantId":"{{scenario.Tenant}}","jobId":"{{jobId}}","execution":1,"pageSize":1,"pagesPerExecution":2}""";
        await _cloud.Cloud.StepFunctions.StartExecutionAsync(
            new Lethe.Aws.StepFunctions.StartExecutionRequest(_cloud.Cloud.Environment["LETHE_WORKFLOW_DELETION"], $"{jobId}-1", input), Ct);

        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        job.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(5);
        // 5 items in pages of 1, at most 2 pages per execution: soft-delete hands over twice, purge twice more.
        var executionName = job.GetProperty("executionName").GetString()!;
        int.Parse(executionName[(executionName.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(4);
        var first = await _cloud.Cloud.StepFunctions.DescribeExecutionAsync(StepFunctionsWorkflowStarter.ExecutionArn(_cloud.Cloud.Environment["LETHE_WORKFLOW_DELETION"], $"{jobId}-1"), Ct);
        first.Status.Should().Be("SUCCEEDED");
    }

    /// <summary>A job as the API stores it, but with no execution started (as after a crash between the two).</summary>
    private async Task<string> CreateJobWithoutExecutionAsync(ErasureScenario scenario, string subject, bool purgeInPast = true)
    {
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        var store = new DynamoJobStore(dynamo, ResourceNames.FromEnvironment().Table(ResourceCatalog.Jobs), TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var tenant = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}", Ct)).ReadJsonAsync();
        var scale = tenant.GetProperty("timeScale").GetInt32();
        var job = new Job
        {
            Id = Job.NewId(now),
            TenantId = scenario.Tenant,
            Type = JobType.Deletion,
            SubjectRef = await scenario.SubjectRefAsync(subject),
            Status = JobStatus.Queued,
            Phase = JobPhases.Validate,
            CreatedAt = now,
            UpdatedAt = now,
            PurgeAt = purgeInPast ? now.AddSeconds(-1) : now + Lethe.Domain.Policies.LifecyclePolicy.Scaled(Lethe.Domain.Policies.LifecyclePolicy.RecoveryWindow, scale),
            Deadline = now + Lethe.Domain.Policies.LifecyclePolicy.Scaled(Lethe.Domain.Policies.LifecyclePolicy.HardDeleteDeadline, scale),
            RequestedBy = "replay-test",
        };
        (await store.CreateAsync(job, null, Ct)).Should().BeOfType<JobCreated>();
        return job.Id;
    }

    /// <summary>Runs a step, snapshots what it changed, runs it again with the same input, and proves nothing moved.</summary>
    private async Task<string> TwiceAsync(ErasureScenario scenario, string jobId, string step, string input)
    {
        var first = await scenario.InvokeAsync(step, input);
        first.Failed.Should().BeFalse($"{step} failed: {first.Payload}");
        var after = await SnapshotAsync(scenario, jobId);

        var second = await scenario.InvokeAsync(step, input);

        second.Failed.Should().BeFalse($"{step} replay failed: {second.Payload}");
        second.Payload.GetRawText().Should().Be(first.Payload.GetRawText(), $"{step} answers a replay the same way");
        (await SnapshotAsync(scenario, jobId)).Should().Be(after, $"{step} run twice must end in the same state");
        return first.Payload.GetRawText();
    }

    private async Task<string> SnapshotAsync(ErasureScenario scenario, string jobId)
    {
        var job = await scenario.JobAsync(jobId);
        var items = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/items?limit=500", Ct)).ReadJsonAsync();
        var states = string.Join(",", items.GetProperty("items").EnumerateArray().Select(i => $"{i.GetProperty("id").GetString()}={i.GetProperty("state").GetString()}").Order(StringComparer.Ordinal));
        // The backup scrub the erasure starts runs as a job of its own, at its own pace, and so does the notice the last step
        // sends (an execution of workflows/notify.asl.json): their events are not this step's state. The notice is counted
        // once the replays are done.
        var audit = string.Join(",", (await AuditActionsAsync(scenario.Tenant))
            .Where(a => !a.StartsWith("backup-scrub.", StringComparison.Ordinal) && a != "notification.send"));
        return $"{job.GetProperty("status")}|{job.GetProperty("phase")}|{job.GetProperty("counts")}|{job.GetProperty("errors").GetArrayLength()}|{job.GetProperty("certificateId")}|{states}|{audit}";
    }

    private Task<List<string>> AuditActionsAsync(string tenant) => _cloud.JournalActionsAsync(tenant, Ct);
}
