using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Tests.Erasure.Steps;

/// <summary>Complete (workflows/deletion.asl.json → Erasure.Steps.CompleteStep).</summary>
public sealed class CompleteStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    private async Task<ErasureState> ScheduledAsync()
    {
        var state = await _h.ShredAllAsync(await _h.PurgeAllAsync(await _h.ThroughTheWindowAsync()));
        return await _h.Steps.StartBackupScrub.RunAsync(await _h.Steps.Certify.RunAsync(state, Ct), Ct);
    }

    [Fact]
    public async Task Complete_should_end_the_job_completed_release_the_subject_and_forget_the_reason()
    {
        var state = await ScheduledAsync();

        await _h.Steps.Complete.RunAsync(state, Ct);

        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!;
        job.Status.Should().Be(JobStatus.Completed);
        job.Phase.Should().Be(JobPhases.Done);
        job.CompletedAt.Should().Be(_h.Clock.GetUtcNow());
        job.Reason.Should().BeNull();
        (await _h.Jobs.OpenErasureAsync(ErasureHarness.Tenant, ErasureHarness.Subject, Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Complete_when_replayed_after_the_job_completed_should_change_nothing_and_audit_once()
    {
        var state = await ScheduledAsync();
        await _h.Steps.Complete.RunAsync(state, Ct);
        var completedAt = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!.CompletedAt;
        _h.Clock.Advance(TimeSpan.FromMinutes(1));

        await _h.Steps.Complete.RunAsync(state, Ct);

        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!.CompletedAt.Should().Be(completedAt);
        _h.Evidence.Events.Values.Count(e => e.Action == "erasure.complete").Should().Be(1);
    }

    [Fact]
    public async Task Complete_when_the_open_job_is_not_at_its_notice_should_fail_the_step_so_its_catch_records_the_failure()
    {
        var state = await _h.ThroughTheWindowAsync();

        var complete = () => _h.Steps.Complete.RunAsync(state, Ct);

        await complete.Should().ThrowExactlyAsync<InvalidOperationException>();
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!.Status.Should().Be(JobStatus.Running, "nothing completed it");
    }
}
