using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Tests.Erasure.Steps;

/// <summary>ScheduleBackupScrub (workflows/deletion.asl.json → ScheduleBackupScrubStep).</summary>
public sealed class ScheduleBackupScrubStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    private async Task<ErasureState> CertifiedAsync()
    {
        var state = await _h.ShredAllAsync(await _h.PurgeAllAsync(await _h.ThroughTheWindowAsync()));
        return await _h.Steps.Certify.RunAsync(state, Ct);
    }

    [Fact]
    public async Task Schedule_backup_scrub_should_record_the_scrub_due_thirty_days_after_the_request_and_move_to_notify()
    {
        var state = await CertifiedAsync();
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!;

        await _h.Steps.ScheduleBackupScrub.RunAsync(state, Ct);

        _h.Evidence.ScrubsDue[job.Id].Should().Be(job.CreatedAt.AddDays(30));
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!.Phase.Should().Be(JobPhases.Notify);
    }

    [Fact]
    public async Task Schedule_backup_scrub_when_the_tenant_runs_on_a_fast_time_scale_should_divide_the_deadline()
    {
        _h.Tenants.Items[ErasureHarness.Tenant] = new Tenant(ErasureHarness.Tenant, "Local", TenantState.Active, _h.Clock.GetUtcNow(), 86_400);
        var state = await CertifiedAsync();
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!;

        await _h.Steps.ScheduleBackupScrub.RunAsync(state, Ct);

        _h.Evidence.ScrubsDue[job.Id].Should().Be(job.CreatedAt.AddSeconds(30));
    }
}
