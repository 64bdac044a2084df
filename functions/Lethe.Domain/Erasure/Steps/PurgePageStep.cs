using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// PurgePage: purges one page of what the soft-delete hid, read back from its page manifest (never from the subject's index):
/// single table items in one guarded transaction each with their data, objects and histories through purging → data deleted →
/// purged. What the page earned (purged items by category and store, object versions) is added to the job's counters in one
/// conditional write. When the manifests are done, a sweep over the subject's index (where purged items no longer appear)
/// counts what was restored and purges what the soft-delete never saw. Every decision about an item not purged now is made
/// from its current state (a consistent read), never from an index or manifest copy. A legal hold placed meanwhile pauses the
/// erasure before anything more is deleted.
/// </summary>
public sealed class PurgePageStep(ErasurePorts ports) : ErasureStep(ports)
{
    /// <summary>The purge's cursor while it reads manifests (the first page starts with none).</summary>
    public const string ManifestCursor = "manifest:";

    /// <summary>The purge's cursor once its manifests are done: this prefix, then the subject index's own cursor.</summary>
    public const string SweepCursor = "sweep:";

    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (await Ports.Holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            return await PauseForHoldAsync(job, state, cancellationToken);
        }

        var page = state.Page + 1;
        var outcome = new PageOutcome(Now);
        try
        {
            var sweeping = state.Cursor?.StartsWith(SweepCursor, StringComparison.Ordinal) == true;
            if (!sweeping && await Ports.Manifests.ReadAsync(job.TenantId, job.Id, page, cancellationToken) is { } manifest)
            {
                await PurgeManifestAsync(job, manifest, outcome, cancellationToken);
                await RecordAsync(job, page, outcome, manifest, cancellationToken);
                return Advance(state, ManifestCursor, page);
            }

            // The manifests are done (or there were none): the sweep pages through what is left in the subject's index.
            var indexCursor = sweeping && state.Cursor!.Length > SweepCursor.Length ? state.Cursor[SweepCursor.Length..] : null;
            var (items, indexNext) = await Ports.Inventory.PageAsync(job.TenantId, job.SubjectRef, indexCursor, state.PageSize, cancellationToken);
            await SweepAsync(job, page, items, outcome, cancellationToken);
            await RecordAsync(job, page, outcome, items, cancellationToken);
            return Advance(state, indexNext is null ? null : SweepCursor + indexNext, page);
        }
        catch (LegalHoldException)
        {
            // A hold placed after the check above: every move to purged or purging is conditional on no hold, so nothing more
            // was deleted.
            return await PauseForHoldAsync(job, state, cancellationToken);
        }
    }

    /// <summary>Adds what the page earned to the job once (a replay moves no counter) and audits the page once.</summary>
    private async Task RecordAsync(Job job, long page, PageOutcome outcome, IReadOnlyList<InventoryItem> items, CancellationToken cancellationToken)
    {
        var earned = outcome.Tally.Counts with { Failed = outcome.Errors.Count, Restored = outcome.Restored };
        if (await Jobs.RecordPageAsync(job.TenantId, job.Id, JobPhases.Purge, page, earned, outcome.Errors, outcome.Now, cancellationToken))
        {
            var details = PageDetails(page, items);
            details["purged"] = earned.Purged;
            details["masked"] = earned.Masked;
            details["failed"] = earned.Failed;
            details["restored"] = earned.Restored;
            await AuditOnceAsync(job, $"purge:{job.Execution}:{page}", "erasure.purge", earned.Failed > 0 ? "partial" : AuditActions.Success, details, cancellationToken);
        }
    }

    /// <summary>One manifest page: everything this erasure hid there, purged now unless its current state says otherwise.</summary>
    private async Task PurgeManifestAsync(Job job, IReadOnlyList<InventoryItem> manifest, PageOutcome outcome, CancellationToken cancellationToken)
    {
        var due = manifest.Select(i => i with { State = ItemState.SoftDeleted, ErasureJobId = job.Id, PurgeAt = job.PurgeAt }).ToList();
        var single = due.Where(i => i.IsSingleTableItem).ToList();
        var purgedNow = await PurgeSingleTableItemsAsync(job, single, outcome, cancellationToken);

        var purging = await PurgeNowAsync(job, due.Where(i => !i.IsSingleTableItem).ToList(), outcome, cancellationToken);
        var undecided = due.Where(i => !purgedNow.Contains(i.ItemId) && !purging.Contains(i.ItemId)).Select(i => i.ItemId).ToList();
        var current = undecided.Count == 0 ? [] : await Ports.Inventory.CurrentAsync(job.TenantId, undecided, cancellationToken);
        foreach (var item in current.Where(c => c.State == ItemState.Purged && c.ErasureJobId == job.Id))
        {
            // Purged by a run of this page that crashed before it was recorded: it counts now, once.
            outcome.Tally.Purged(item, item.VersionsDeleted);
        }

        // Left purging by a crashed run: its data is deleted again (already-gone data counts as deleted).
        await PurgeNowAsync(job, current.Where(c => c.State == ItemState.Purging && c.ErasureJobId == job.Id).ToList(), outcome, cancellationToken);
        foreach (var stuck in current.Where(c => c.State == ItemState.SoftDeleted && c.ErasureJobId == job.Id && !outcome.Reports(c.ItemId)))
        {
            outcome.Errors.Add(new JobError(stuck.ItemId, "The item is soft_deleted and could not be moved to purging; retry the request.", outcome.Now));
        }

        // Restored items (active) are counted by the sweep, which sees every live item of the subject once.
    }

    /// <summary>
    /// One sweep page of the subject's index, where only live items remain: restored items count as survivors (here only); an
    /// item the soft-delete never saw (an index that lagged behind a write made just before the lock) or one another erasure
    /// left hidden was chosen by nobody to stay, so it is hidden and purged now; one this erasure hid but did not purge (its
    /// manifest page failed, or a crash cut it short) is purged now. What the page will purge is written as its manifest first:
    /// a replay of the page (or a later pass after a resume or retry, whose counters start again) reads it back and counts
    /// what the earlier run purged, once.
    /// </summary>
    private async Task SweepAsync(Job job, long page, IReadOnlyList<InventoryItem> items, PageOutcome outcome, CancellationToken cancellationToken)
    {
        var earlier = await Ports.Manifests.ReadAsync(job.TenantId, job.Id, page, cancellationToken) ?? [];
        var live = items.Where(i => i.State != ItemState.Purged).Select(i => i.ItemId).Concat(earlier.Select(e => e.ItemId)).Distinct(StringComparer.Ordinal).ToList();
        var current = live.Count == 0 ? [] : await Ports.Inventory.CurrentAsync(job.TenantId, live, cancellationToken);
        var wasOurs = earlier.Select(e => e.ItemId).ToHashSet(StringComparer.Ordinal);
        foreach (var purged in current.Where(c => c.State == ItemState.Purged && c.ErasureJobId == job.Id && wasOurs.Contains(c.ItemId)))
        {
            // Purged by an earlier run of this very page that did not get to record it.
            outcome.Tally.Purged(purged, purged.VersionsDeleted);
        }

        outcome.Restored += current.LongCount(c => c.State is ItemState.Active or ItemState.Archived && c.RestoredFrom == job.Id);
        var toHide = current.Where(c => ErasureItems.IsToHide(c, job.Id)).ToList();
        // This erasure's own items that a manifest page failed are listed on the job already: retrying the request retries them.
        var reported = job.Errors.Select(e => e.ItemId).ToHashSet(StringComparer.Ordinal);
        var ours = current.Where(c => c.State is ItemState.SoftDeleted or ItemState.Purging && c.ErasureJobId == job.Id && !reported.Contains(c.ItemId)).ToList();
        if (toHide.Count + ours.Count == 0)
        {
            return;
        }

        var now = toHide.Concat(ours).Select(w => w.ItemId).ToHashSet(StringComparer.Ordinal);
        await Ports.Manifests.WriteAsync(job.TenantId, job.Id, page, [.. earlier.Where(e => !now.Contains(e.ItemId)), .. toHide, .. ours], outcome.Now, cancellationToken);
        await Ports.Inventory.SoftDeleteAsync(job.TenantId, toHide, job.Id, outcome.Now, outcome.Now, cancellationToken);
        var due = toHide.Select(m => m with { State = ItemState.SoftDeleted, ErasureJobId = job.Id, PurgeAt = outcome.Now })
            .Concat(ours.Select(o => o.State == ItemState.Purging ? o : o with { PurgeAt = o.PurgeAt ?? outcome.Now }))
            .ToList();
        // Records to mask take the path that writes their copy with their purge; everything else goes through purging.
        var masking = due.Where(d => d.State == ItemState.SoftDeleted && IsMaskedBy(job, d)).ToList();
        var purging = new HashSet<string>(await PurgeSingleTableItemsAsync(job, masking, outcome, cancellationToken), StringComparer.Ordinal);
        purging.UnionWith(await PurgeNowAsync(job, due.Where(d => !masking.Contains(d)).ToList(), outcome, cancellationToken));
        foreach (var stuck in due.Where(d => !purging.Contains(d.ItemId) && !outcome.Reports(d.ItemId)))
        {
            outcome.Errors.Add(new JobError(stuck.ItemId, "The item could not be moved to purging; retry the request.", outcome.Now));
        }
    }

    /// <summary>
    /// Moves the given due items to purging, deletes their data and marks them purged; adds what was purged to the tally and
    /// what failed to the errors. Returns the ids that were (or already were) purging.
    /// </summary>
    private async Task<IReadOnlySet<string>> PurgeNowAsync(Job job, List<InventoryItem> due, PageOutcome outcome, CancellationToken cancellationToken)
    {
        if (due.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        var purging = await Ports.Inventory.BeginPurgeAsync(job.TenantId, job.SubjectRef, due, outcome.Now, cancellationToken);
        var targets = due.Where(i => purging.Contains(i.ItemId)).ToList();
        var outcomes = targets.Count == 0 ? [] : await Ports.Purger.PurgeAsync(job.TenantId, targets, cancellationToken);
        var done = outcomes.Where(o => o.Succeeded).Select(o => (o.ItemId, o.Versions)).ToList();
        await Ports.Inventory.MarkPurgedAsync(job.TenantId, done, job.Id, outcome.Now, cancellationToken);
        var versions = done.ToDictionary(d => d.ItemId, d => d.Versions, StringComparer.Ordinal);
        foreach (var item in targets.Where(t => versions.ContainsKey(t.ItemId)))
        {
            outcome.Tally.Purged(item, versions[item.ItemId]);
        }

        outcome.Errors.AddRange(outcomes.Where(o => !o.Succeeded).Select(o => new JobError(o.ItemId, o.Failure!, outcome.Now)));
        return purging;
    }

    /// <summary>Whether the erasure masks this item rather than deletes it: a live record of one of its masked categories.</summary>
    private static bool IsMaskedBy(Job job, InventoryItem item) =>
        item.Kind == "record" && item.IsSingleTableItem && job.MaskedCategories.Contains(item.Category, StringComparer.Ordinal);

    /// <summary>
    /// Purges single table items (due, hidden by this erasure) with their data in guarded transactions, adding what was purged
    /// to the tally. Records of the job's masked categories are opened first and purged together with their masked copy; one
    /// whose row is already gone has nothing to keep and is purged as it is. Returns the ids purged now.
    /// </summary>
    private async Task<IReadOnlySet<string>> PurgeSingleTableItemsAsync(Job job, IReadOnlyList<InventoryItem> single, PageOutcome outcome, CancellationToken cancellationToken)
    {
        var masking = single.Where(i => IsMaskedBy(job, i)).ToList();
        var copies = new List<(InventoryItem Item, StoredRecord Copy)>();
        var unopened = new HashSet<string>(StringComparer.Ordinal);
        if (masking.Count > 0)
        {
            var masker = Ports.Masking ?? throw new InvalidOperationException("The erasure masks records but has no masking reader.");
            var tenant = await Ports.Tenants.FindAsync(job.TenantId, cancellationToken) ?? throw new InvalidOperationException($"Tenant {job.TenantId} is gone.");
            var input = await masker.OpenAsync(tenant, job.SubjectRef, masking.Select(i => i.ItemId).ToList(), cancellationToken);
            var opened = input.Records.ToDictionary(r => r.Record.Id, StringComparer.Ordinal);
            var day = TimeSpan.FromDays(1) / Math.Max(1, tenant.TimeScale);
            foreach (var item in masking)
            {
                if (input.Failures.TryGetValue(item.ItemId, out var failure))
                {
                    // Neither masked nor purged: it stays hidden, listed on the job, and a retry masks it.
                    unopened.Add(item.ItemId);
                    outcome.Errors.Add(new JobError(item.ItemId, failure, outcome.Now));
                }
                else if (opened.TryGetValue(item.ItemId, out var view) && RecordMasking.MayMask(view.Record))
                {
                    copies.Add((item with { Masked = true }, RecordMasking.Mask($"rec_{Guid.NewGuid():N}", view.Record, view.Fields, input.SubjectId, outcome.Now, day)));
                }
            }
        }

        // Purged as they are: what the erasure deletes, a masked category's record stored encrypted (it would have to be kept in
        // the clear), and one whose row is already gone.
        var masked = copies.Select(c => c.Item.ItemId).ToHashSet(StringComparer.Ordinal);
        var plain = single.Where(i => !masked.Contains(i.ItemId) && !unopened.Contains(i.ItemId)).ToList();
        var purged = new HashSet<string>(await Ports.Inventory.PurgeSingleTableItemsAsync(job.TenantId, job.SubjectRef, job.Id, plain, outcome.Now, cancellationToken), StringComparer.Ordinal);

        if (copies.Count > 0)
        {
            purged.UnionWith(await Ports.Inventory.PurgeMaskedAsync(job.TenantId, job.SubjectRef, job.Id, copies, outcome.Now, cancellationToken));
        }

        foreach (var item in plain.Concat(copies.Select(c => c.Item)).Where(i => purged.Contains(i.ItemId)))
        {
            outcome.Tally.Purged(item, 0);
        }

        return purged;
    }

    /// <summary>What one purge page earned: its tally, failures and survivors.</summary>
    private sealed class PageOutcome(DateTimeOffset now)
    {
        public DateTimeOffset Now { get; } = now;

        public PageTally Tally { get; } = new();

        public List<JobError> Errors { get; } = [];

        /// <summary>Whether the page lists an error for the item already (one error per item and page).</summary>
        public bool Reports(string itemId) => Errors.Exists(e => e.ItemId == itemId);

        public long Restored { get; set; }
    }
}
