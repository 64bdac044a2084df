using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// PurgePage: deletes one page of due items (every object version, every table item) and adds what the page earned to the
/// job's counters and the certificate's tally in one conditional write. What the page does not purge now is decided from
/// each item's current state (a consistent read), never from the index copy, which may be stale: an item a crashed run
/// already purged still counts as purged, a restored one as restored. A legal hold placed meanwhile pauses the erasure.
/// </summary>
public sealed class PurgePageStep(ErasurePorts ports) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (await Ports.Holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            return await PauseForHoldAsync(job, state, cancellationToken);
        }

        var now = Now;
        var (items, next) = await Ports.Inventory.PageAsync(job.TenantId, job.SubjectRef, state.Cursor, state.PageSize, cancellationToken);
        var page = state.Page + 1;
        var tally = new PageTally();
        var errors = new List<JobError>();
        IReadOnlySet<string> purging;
        try
        {
            purging = await PurgeNowAsync(job, items.Where(i => i.IsDue(now) || i.State == ItemState.Purging).ToList(), now, tally, errors, cancellationToken);
        }
        catch (LegalHoldException)
        {
            // A hold placed after the check above: the move to purging is conditional on no hold, so nothing more was deleted.
            return await PauseForHoldAsync(job, state, cancellationToken);
        }

        // A purged item never changes again, so its index copy is final; every other item not purged now is read again.
        var undecided = items.Where(i => !purging.Contains(i.ItemId) && i.State != ItemState.Purged).Select(i => i.ItemId).ToList();
        var current = undecided.Count == 0 ? [] : await Ports.Inventory.CurrentAsync(job.TenantId, undecided, cancellationToken);
        foreach (var item in items.Where(i => i.State == ItemState.Purged && !purging.Contains(i.ItemId)).Concat(current.Where(c => c.State == ItemState.Purged)))
        {
            tally.Purged(item, item.VersionsDeleted);
        }

        // Active and not restored from this erasure: an item the soft-delete pass never saw (an index that lagged behind a write
        // made just before the lock). Nobody chose to keep it, so it is hidden and purged now, never certified as a survivor.
        var missed = current.Where(c => c.State == ItemState.Active && c.RestoredFrom != job.Id).ToList();
        if (missed.Count > 0)
        {
            await Ports.Inventory.SoftDeleteAsync(job.TenantId, missed, job.Id, now, now, cancellationToken);
            try
            {
                await PurgeNowAsync(job, missed.Select(m => m with { State = ItemState.SoftDeleted, PurgeAt = now }).ToList(), now, tally, errors, cancellationToken);
            }
            catch (LegalHoldException)
            {
                return await PauseForHoldAsync(job, state, cancellationToken);
            }
        }

        foreach (var stuck in current.Where(c => c.State is ItemState.SoftDeleted or ItemState.Purging))
        {
            errors.Add(new JobError(stuck.ItemId, $"The item is {ItemStates.Name(stuck.State)} and could not be moved to purging; retry the request.", now));
        }

        var earned = tally.Counts with { Failed = errors.Count, Restored = current.LongCount(c => c.State == ItemState.Active && c.RestoredFrom == job.Id) };
        if (await Jobs.RecordPageAsync(job.TenantId, job.Id, JobPhases.Purge, page, earned, errors, now, cancellationToken))
        {
            var details = PageDetails(page, items.Where(i => i.State != ItemState.Active));
            details["purged"] = earned.Purged;
            details["failed"] = earned.Failed;
            details["restored"] = earned.Restored;
            await AuditOnceAsync(job, $"purge:{job.Execution}:{page}", "erasure.purge", earned.Failed > 0 ? "partial" : AuditActions.Success, details, cancellationToken);
        }

        return Advance(state, next, page);
    }

    /// <summary>
    /// Moves the given due items to purging, deletes their data and marks them purged; adds what was purged to the tally and
    /// what failed to the errors. Returns the ids that were (or already were) purging.
    /// </summary>
    private async Task<IReadOnlySet<string>> PurgeNowAsync(Job job, List<ErasureItem> due, DateTimeOffset now, PageTally tally, List<JobError> errors, CancellationToken cancellationToken)
    {
        if (due.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        var purging = await Ports.Inventory.BeginPurgeAsync(job.TenantId, job.SubjectRef, due, now, cancellationToken);
        var targets = due.Where(i => purging.Contains(i.ItemId)).ToList();
        var outcomes = targets.Count == 0 ? [] : await Ports.Purger.PurgeAsync(job.TenantId, targets, cancellationToken);
        var done = outcomes.Where(o => o.Succeeded).Select(o => (o.ItemId, o.Versions)).ToList();
        await Ports.Inventory.MarkPurgedAsync(job.TenantId, done, job.Id, now, cancellationToken);
        var versions = done.ToDictionary(d => d.ItemId, d => d.Versions, StringComparer.Ordinal);
        foreach (var item in targets.Where(t => versions.ContainsKey(t.ItemId)))
        {
            tally.Purged(item, versions[item.ItemId]);
        }

        errors.AddRange(outcomes.Where(o => !o.Succeeded).Select(o => new JobError(o.ItemId, o.Failure!, now)));
        return purging;
    }
}
