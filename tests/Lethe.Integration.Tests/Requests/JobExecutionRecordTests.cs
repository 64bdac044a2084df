using Lethe.Aws.Configuration;
using Lethe.Aws.Jobs;
using Lethe.Catalog;
using Lethe.Domain.Jobs;
using Lethe.Tests.Integration.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Tests.Integration.Requests;

/// <summary>
/// What the job store keeps of a job's current execution (its ARN, and when it was last known to be running), which the
/// reconciler reads to tell an execution Step Functions still lists from one it may have forgotten (ADR 0020).
/// </summary>
public sealed class JobExecutionRecordTests(LocalCloudFixture cloud)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    private async Task<(DynamoJobStore Store, Job Job)> CreateRunningExportAsync(Amazon.DynamoDBv2.IAmazonDynamoDB dynamo)
    {
        var store = new DynamoJobStore(dynamo, ResourceNames.FromEnvironment().Table(ResourceCatalog.Jobs), _clock);
        var now = _clock.GetUtcNow();
        var job = new Job
        {
            Id = Job.NewId(now),
            TenantId = $"exr-{Guid.NewGuid():N}"[..20],
            Type = JobType.Export,
            SubjectRef = "ref",
            Status = JobStatus.Running,
            Phase = "collect",
            CreatedAt = now,
            UpdatedAt = now,
            RequestedBy = "execution-record-test",
        };
        (await store.CreateAsync(job, null, Ct)).Should().BeOfType<JobCreated>();
        return (store, job);
    }

    [Fact]
    public async Task A_started_execution_is_recorded_as_seen_running_when_its_arn_is_stored_and_again_when_marked()
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var (store, job) = await CreateRunningExportAsync(dynamo);

        await store.SetExecutionArnAsync(job.TenantId, job.Id, 1, "arn:aws:states:us-east-1:000000000000:execution:export:x-1", Ct);
        var started = (await store.FindAsync(job.TenantId, job.Id, Ct))!;
        _clock.Advance(TimeSpan.FromDays(86));
        await store.MarkExecutionSeenAsync(job.TenantId, job.Id, 1, _clock.GetUtcNow(), Ct);
        await store.MarkExecutionSeenAsync(job.TenantId, job.Id, 2, _clock.GetUtcNow().AddDays(1), Ct);
        var seen = (await store.FindAsync(job.TenantId, job.Id, Ct))!;

        started.ExecutionArn.Should().EndWith(":x-1");
        started.ExecutionSeenAt.Should().Be(job.CreatedAt);
        seen.ExecutionSeenAt.Should().Be(_clock.GetUtcNow(), "execution 2 is not the current one: its mark changes nothing");
        seen.UpdatedAt.Should().Be(job.UpdatedAt, "being seen running is not a change of the request");
    }

    [Fact]
    public async Task A_hand_over_to_the_next_execution_forgets_the_previous_ones_arn_and_when_it_was_seen()
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var (store, job) = await CreateRunningExportAsync(dynamo);
        await store.SetExecutionArnAsync(job.TenantId, job.Id, 1, "arn:aws:states:us-east-1:000000000000:execution:export:x-1", Ct);

        (await store.AdvanceExecutionAsync(job.TenantId, job.Id, 1, ["collect"], Ct)).Should().BeTrue();
        var handedOver = (await store.FindAsync(job.TenantId, job.Id, Ct))!;

        handedOver.Execution.Should().Be(2);
        handedOver.ExecutionArn.Should().BeNull();
        handedOver.ExecutionSeenAt.Should().BeNull("what was seen of execution 1 says nothing of execution 2");
    }
}
