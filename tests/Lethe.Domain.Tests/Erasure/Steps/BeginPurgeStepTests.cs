using Lethe.Domain.Erasure;
using Lethe.Domain.Errors;
using Lethe.Domain.Jobs;
using Lethe.Domain.Requests;

namespace Lethe.Domain.Tests.Erasure.Steps;

/// <summary>BeginPurge (workflows/deletion.asl.json → BeginPurgeStep).</summary>
public sealed class BeginPurgeStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    private async Task<ErasureState> InTheWindowAsync()
    {
        var job = await _h.SubmitAsync();
        return await _h.SoftDeleteAllAsync(await _h.Steps.Validate.RunAsync(new ErasureState(ErasureHarness.Tenant, job.Id, 1), Ct));
    }

    [Fact]
    public async Task Begin_purge_when_the_window_is_over_should_move_the_job_to_its_purge_and_start_from_the_first_page()
    {
        var state = await InTheWindowAsync();
        _h.Clock.Advance(TimeSpan.FromDays(29));

        var begun = await _h.Steps.BeginPurge.RunAsync(state with { Cursor = "stale", Page = 9 }, Ct);

        begun.Cursor.Should().BeNull();
        begun.Page.Should().Be(0);
        begun.More.Should().BeTrue();
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!;
        job.Phase.Should().Be(JobPhases.Purge);
        job.PurgeStartedAt.Should().Be(_h.Clock.GetUtcNow());
    }

    [Fact]
    public async Task Begin_purge_when_woken_long_before_the_window_ends_should_fail_transiently_so_the_retry_waits()
    {
        var state = await InTheWindowAsync();
        _h.Clock.Advance(TimeSpan.FromDays(28));

        var begin = () => _h.Steps.BeginPurge.RunAsync(state, Ct);

        await begin.Should().ThrowAsync<TransientException>();
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!.Phase.Should().Be(JobPhases.RecoveryWindow);
    }

    [Fact]
    public async Task Begin_purge_when_the_request_was_cancelled_during_the_window_should_end_cleanly_and_purge_nothing()
    {
        var state = await InTheWindowAsync();
        var requests = new RequestService(_h.Jobs, _h.Workflows, _h.Holds, _h.Inventory, _h.Clock, new Lethe.Domain.Tests.Notifications.RecordingNotifications());
        (await requests.CancelAsync(ErasureHarness.Tenant, state.JobId, Ct)).Change.Should().Be(JobChange.Done);
        _h.Clock.Advance(TimeSpan.FromDays(29));

        var begun = await _h.Steps.BeginPurge.RunAsync(state, Ct);

        begun.Cancelled.Should().BeTrue();
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!.Status.Should().Be(JobStatus.Cancelled);
        _h.Purger.Purged.Should().BeEmpty();
    }
}
