using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// SoftDeletePage: hides one page of the subject's items at once from every read path, and takes over what is hidden already
/// (by a cancelled erasure, or a single delete) so that it ends with this erasure's window, purge and certificate. Items
/// restored from this erasure stay restored: a run resumed after a hold does not hide them again. The page's manifest (what
/// this erasure now holds hidden) is written for the purge, and what the page read is added to the job's total.
/// </summary>
public sealed class SoftDeletePageStep(ErasurePorts ports) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Phase is not (JobPhases.SoftDelete or JobPhases.RecoveryWindow))
        {
            // Paused by a hold since this loop began: releasing the hold resumes the erasure, which hides the rest.
            // (recovery-window: a replay of the last page, which changes nothing.)
            throw new JobNotActiveException($"Job {job.Id} is {job.Phase}, not in its soft-delete; the step did nothing.");
        }

        var (items, next) = await Ports.Inventory.PageAsync(job.TenantId, job.SubjectRef, state.Cursor, state.PageSize, cancellationToken);
        var hiding = items.Where(i => ErasureItems.IsToHide(i, job.Id)).ToList();
        await Ports.Inventory.SoftDeleteAsync(job.TenantId, hiding, job.Id, job.PurgeAt!.Value, Now, cancellationToken);
        var page = state.Page + 1;
        // Before the page counts as done: a crash in between writes the same manifest again on the retry.
        var manifest = items.Where(i => ErasureItems.IsToHide(i, job.Id) || (i.State is ItemState.SoftDeleted or ItemState.Purging && i.ErasureJobId == job.Id)).ToList();
        await Ports.Manifests.WriteAsync(job.TenantId, job.Id, page, manifest, Now, cancellationToken);
        // Earned by this page: what it read and what it leaves soft-deleted (the same on a replay, which the store then ignores).
        var hidden = items.Count(i => i.State == ItemState.SoftDeleted) + hiding.Count(i => i.State is ItemState.Active or ItemState.Archived);
        var earned = ErasureCounts.None with { Total = items.Count(i => i.State != ItemState.Purged), SoftDeleted = hidden };
        if (await Jobs.RecordPageAsync(job.TenantId, job.Id, JobPhases.SoftDelete, page, earned, [], Now, cancellationToken))
        {
            await AuditOnceAsync(job, $"soft-delete:{page}", "erasure.soft-delete", AuditActions.Success, PageDetails(page, items.Where(i => i.State != ItemState.Purged)), cancellationToken);
        }

        if (next is null)
        {
            // A pass that ends sooner than an earlier one (run again after a hold, its pages cut differently) leaves no page
            // behind: the purge reads pages until one is missing, and must not purge or count an item twice.
            await Ports.Manifests.DeleteAfterAsync(job.TenantId, job.Id, page, cancellationToken);
            await MoveAsync(job, JobTransitions.Advance(JobPhases.SoftDelete, JobPhases.RecoveryWindow, Now), cancellationToken);
        }

        return Advance(state, next, page);
    }
}
