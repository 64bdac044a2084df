using Lethe.Domain.Jobs;
using Lethe.Domain.Policies;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// ScheduleBackupScrub: records that the backups must be scrubbed of the subject by the request's time plus 30 days (divided
/// by the tenant's local time scale), and moves the job on to its notice.
/// </summary>
public sealed class ScheduleBackupScrubStep(ErasurePorts ports) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var tenant = await Ports.Tenants.FindAsync(job.TenantId, cancellationToken);
        await MoveAsync(job, JobTransitions.Advance(JobPhases.Certify, JobPhases.Notify, Now), cancellationToken);
        var due = LifecyclePolicy.Deadline(job.CreatedAt, LifecyclePolicy.BackupScrubDeadline, tenant?.TimeScale ?? 1);
        await Ports.Scrubs.ScheduleAsync(job.TenantId, job.Id, due, cancellationToken);
        return state;
    }
}
