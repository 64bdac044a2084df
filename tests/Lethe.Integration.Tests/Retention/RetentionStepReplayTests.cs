using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Aws.Configuration;
using Lethe.Aws.Erasure;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Catalog;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Requests;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Retention;

/// <summary>
/// Every retention step run twice with the same input (a Lambda retry) ends in the same state, and a page whose first attempt
/// purged part of it before dying is finished with exact counts: the real handlers invoked through the local cloud's Lambda API.
/// </summary>
public sealed class RetentionStepReplayTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sweep_interrupted_mid_page_and_replayed_step_by_step_ends_with_exact_counts_and_nothing_left()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rrp", 90 * 86_400 / 3);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/retention", new { categories = new { note = "P90D" } }, Ct)).EnsureSuccessStatusCode();
        var notes = new List<(string Id, DateTimeOffset Until)>();
        for (var i = 0; i < 3; i++)
        {
            var created = await (await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/ivo/records",
                new { category = "note", fields = new Dictionary<string, string> { ["text"] = $"note {i}" } }, Ct)).ReadJsonAsync();
            notes.Add((created.GetProperty("id").GetString()!, created.GetProperty("retainUntil").GetDateTimeOffset()));
        }

        scenario.Records["ivo"] = notes.Select(n => n.Id).ToList();
        var subjectRef = await scenario.SubjectRefAsync("ivo");
        var file = await scenario.PutFileAsync(subjectRef, versions: 2, retainUntil: notes.Max(n => n.Until));
        var wait = notes.Max(n => n.Until) - DateTimeOffset.UtcNow;
        await Task.Delay(wait > TimeSpan.Zero ? wait + TimeSpan.FromMilliseconds(50) : TimeSpan.Zero, Ct);
        var jobId = await CreateRunWithoutExecutionAsync(scenario.Tenant);
        var state = $$"""{"tenantId":"{{scenario.Tenant}}","jobId":"{{jobId}}","execution":1,"pageSize":2,"pagesPerExecution":1000}""";

        state = await TwiceAsync(scenario, jobId, "retention-begin", state);
        var interrupted = false;
        while (true)
        {
            state = await TwiceAsync(scenario, jobId, "retention-select-page", state);
            if (!Flag(state, "selected"))
            {
                break;
            }

            if (!interrupted)
            {
                // A first attempt of this page purged one of its records and died before recording the page.
                await PurgeOneOutOfBandAsync(scenario.Tenant, subjectRef, jobId);
                interrupted = true;
            }

            state = await TwiceAsync(scenario, jobId, "retention-purge-page", state);
            if (!Flag(state, "more"))
            {
                break;
            }
        }

        state = await TwiceAsync(scenario, jobId, "retention-certify", state);
        state = await TwiceAsync(scenario, jobId, "retention-start-backup-scrub", state);
        await TwiceAsync(scenario, jobId, "retention-complete", state);

        var job = await scenario.JobAsync(jobId);
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        job.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(4, "three notes and the file, each counted once");
        foreach (var (id, _) in notes)
        {
            (await scenario.RecordItemExistsAsync(id)).Should().BeFalse();
        }

        (await scenario.ObjectVersionsAsync(file)).Should().BeEmpty("every version of a purged file goes");
        (await scenario.KekExistsAsync(subjectRef)).Should().BeFalse("nothing of the subject is left");
        var certificate = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync();
        certificate.GetProperty("certificate").GetProperty("counts").GetProperty("itemsPurged").GetInt64().Should().Be(4);
        certificate.GetProperty("certificate").GetProperty("counts").GetProperty("objectVersionsDeleted").GetInt64().Should().Be(2);
        var late = await scenario.InvokeAsync("retention-record-failure", $$$"""{"tenantId":"{{{scenario.Tenant}}}","jobId":"{{{jobId}}}","execution":1,"error":{"Error":"States.Timeout","Cause":"late"}}""");
        late.Failed.Should().BeFalse();
        (await scenario.JobAsync(jobId)).GetProperty("status").GetString().Should().Be("completed", "a late failure report never reopens a finished run");
        (await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/retention/sweep", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Accepted, "the run's lock ended with it");
    }

    private static bool Flag(string state, string name) => JsonDocument.Parse(state).RootElement.TryGetProperty(name, out var value) && value.GetBoolean();

    /// <summary>A run's job as the API stores it (with the tenant's sweep lock), but with no execution: the test drives the steps.</summary>
    private async Task<string> CreateRunWithoutExecutionAsync(string tenant)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var store = new DynamoJobStore(dynamo, ResourceNames.FromEnvironment().Table(ResourceCatalog.Jobs), TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var job = new Job
        {
            Id = Job.NewId(now), TenantId = tenant, Type = JobType.RetentionSweep, SubjectRef = RequestService.TenantWideSubject,
            Status = JobStatus.Queued, Phase = JobPhases.Validate, CreatedAt = now, UpdatedAt = now, RequestedBy = "replay-test",
        };
        (await store.CreateAsync(job, null, Ct)).Should().BeOfType<JobCreated>();
        return job.Id;
    }

    /// <summary>What a crashed attempt of PurgePage did to one record: hidden and purged by this run, the page not recorded.</summary>
    private async Task PurgeOneOutOfBandAsync(string tenant, string subjectRef, string jobId)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var names = ResourceNames.FromEnvironment();
        var page = await new DynamoErasureManifests(dynamo, names.Table(ResourceCatalog.Manifests)).ReadAsync(tenant, jobId, 1, Ct);
        var recordId = page!.First(i => i.Kind == "record").ItemId;
        var inventory = new DynamoErasureInventory(dynamo, names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Tenants),
            logical => names.Table(ResourceCatalog.TableNamed(logical)));
        var item = (await inventory.CurrentAsync(tenant, [recordId], Ct)).Single();
        var now = DateTimeOffset.UtcNow;
        await inventory.SoftDeleteAsync(tenant, [item], jobId, now, now, Ct);
        var purged = await inventory.PurgeSingleTableItemsAsync(tenant, subjectRef, jobId, [item with { State = ItemState.SoftDeleted }], now.AddMilliseconds(1), Ct);
        purged.Should().Contain(recordId);
    }

    private static async Task<string> TwiceAsync(ErasureScenario scenario, string jobId, string step, string input)
    {
        var first = await scenario.InvokeAsync(step, input);
        first.Failed.Should().BeFalse($"{step} failed: {first.Payload}");
        var after = (await scenario.JobAsync(jobId)).GetRawText();

        var second = await scenario.InvokeAsync(step, input);

        second.Failed.Should().BeFalse($"{step} replay failed: {second.Payload}");
        second.Payload.GetRawText().Should().Be(first.Payload.GetRawText(), $"{step} answers a replay the same way");
        var replayed = await scenario.JobAsync(jobId);
        Strip(replayed).Should().Be(Strip(JsonDocument.Parse(after).RootElement), $"{step} run twice leaves the job as once");
        return first.Payload.GetRawText();
    }

    /// <summary>The job without its timestamps and ETA (a replay may touch updatedAt; nothing else may move).</summary>
    private static string Strip(JsonElement job) =>
        $"{job.GetProperty("status")}|{job.GetProperty("phase")}|{job.GetProperty("counts")}|{job.GetProperty("errors").GetArrayLength()}|{job.GetProperty("certificateId")}";
}
