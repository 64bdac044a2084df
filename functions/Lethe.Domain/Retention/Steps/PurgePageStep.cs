using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Policies;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Retention.Steps;

/// <summary>
/// PurgePage: decides about the items of the page's manifest, subject by subject, from their current state (consistent
/// reads): a held subject's items are skipped, counted and left for later runs; a subject whose erasure is open is left to that
/// erasure; items of a category the tenant archives are archived (their archive period then starts); everything else, and
/// archived items whose archive period is over, is purged through the erasure's own moves (hidden, then purged with its data
/// and every object version, each move conditional on no legal hold in the same transaction). A subject with nothing left
/// loses its KEK. The page's counts are added to the job once; a replay finds what an earlier attempt archived or purged
/// (archived or purged by this job) and counts it, so no item is counted twice or missed.
/// </summary>
public sealed class PurgePageStep(RetentionPorts ports) : RetentionStep(ports)
{
    public override async Task<RetentionSweepState> RunAsync(RetentionSweepState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var listed = await Ports.Manifests.ReadAsync(job.TenantId, job.Id, state.Page, cancellationToken)
            ?? throw new InvalidOperationException($"Page {state.Page} of retention sweep {job.Id} has no manifest.");
        var tenant = await Ports.Tenants.FindAsync(job.TenantId, cancellationToken)
            ?? throw new InvalidOperationException($"Tenant {job.TenantId} of retention sweep {job.Id} is gone.");
        var current = await Ports.Inventory.CurrentAsync(job.TenantId, listed.Select(i => i.ItemId).ToList(), cancellationToken);
        var tally = new RetentionTally();
        var subjects = current.GroupBy(i => i.SubjectRef ?? string.Empty, StringComparer.Ordinal).ToList();
        // Subjects are independent (each move is per item, each hold guard per subject): a few at once. First each subject's
        // decision (held, under erasure, to archive or to purge) and its archive, then one hide of everything to purge (the
        // hide is unguarded, so it batches across subjects into few transactions), then each subject's guarded purge.
        var toPurge = new System.Collections.Concurrent.ConcurrentDictionary<string, List<InventoryItem>>(StringComparer.Ordinal);
        var now = Now;
        await ForEachSubjectAsync(subjects, async (subject, ct) =>
        {
            if (await DecideAsync(job, subject.Key, subject.ToList(), tally, ct) is { Count: > 0 } mine)
            {
                var archiving = mine.Where(i => ArchivesNow(tenant, i)).ToList();
                await ArchiveSubjectAsync(job, tenant, subject.Key, archiving, $"{state.Execution}-{state.Page}", now, tally, ct);
                if (mine.Where(i => !archiving.Contains(i)).ToList() is { Count: > 0 } rest)
                {
                    toPurge[subject.Key] = rest;
                }
            }
        }, cancellationToken);
        await Ports.Inventory.SoftDeleteAsync(
            job.TenantId, toPurge.Values.SelectMany(m => m).Where(i => i.State is ItemState.Active or ItemState.Archived).ToList(), job.Id, now, now, cancellationToken);
        await ForEachSubjectAsync(toPurge, (subject, ct) => new ValueTask(PurgeSubjectAsync(job, subject.Key, subject.Value, now, tally, ct)), cancellationToken);

        var earned = ErasureCounts.None with { Total = tally.Archived + tally.Purged + tally.Held + tally.Failed, Purged = tally.Purged, Held = tally.Held, Failed = tally.Failed };
        earned = earned with { Archived = tally.Archived, PurgedByCategory = tally.ByCategory, PurgedByStore = tally.ByStore, VersionsDeleted = tally.Versions };
        // Page marks per execution: a restarted execution selects from the start again (what earlier ones purged is gone from
        // the index) and numbers its pages from 1 again, without its counts being taken for replays of the earlier pages.
        await Jobs.RecordPageAsync(job.TenantId, job.Id, $"{JobPhases.Sweep}-{state.Execution}", state.Page, earned, tally.Errors, Now, cancellationToken);
        await AuditOnceAsync(job, $"page:{state.Execution}:{state.Page}", "retention.page", tally.Failed > 0 ? "partial" : AuditActions.Success, new JsonObject
        {
            ["page"] = state.Page,
            ["archived"] = tally.Archived,
            ["purged"] = tally.Purged,
            ["skippedUnderHold"] = tally.Held,
            ["leftToErasure"] = tally.LeftToErasure,
            ["failed"] = tally.Failed,
            ["keysShredded"] = tally.KeysShredded,
            ["manifestSha256"] = Lethe.Domain.Jobs.Workflow.WorkflowAudit.ManifestSha256(listed.Select(i => i.ItemId)),
        }, cancellationToken);

        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Selected = false,
            PagesInExecution = inExecution,
            HandOver = state.More && inExecution >= state.PagesPerExecution,
        };
    }

    private Task ForEachSubjectAsync<T>(IEnumerable<T> subjects, Func<T, CancellationToken, ValueTask> sweep, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(subjects, new ParallelOptions { MaxDegreeOfParallelism = Ports.SubjectConcurrency, CancellationToken = cancellationToken }, sweep);

    /// <summary>
    /// One subject's share of the page: counts what an earlier attempt purged, defers what other jobs hid, keeps a held
    /// subject's items, leaves an erasing subject's to its erasure; returns the items this run is to purge (none otherwise).
    /// </summary>
    private async Task<List<InventoryItem>?> DecideAsync(Job job, string subjectRef, List<InventoryItem> items, RetentionTally tally, CancellationToken cancellationToken)
    {
        var asOf = job.CreatedAt;
        // Purged or archived by an earlier attempt of this page: counted now, as that attempt never recorded the page.
        foreach (var done in items.Where(i => i.State == ItemState.Purged && i.PurgedBy == job.Id))
        {
            tally.AddPurged(done, done.VersionsDeleted);
        }

        tally.AddArchived(items.Count(i => i.State == ItemState.Archived && i.ArchivedBy == job.Id));

        // Hidden by an erasure or a single delete: theirs to purge or restore. A restored one must still meet its end, so it
        // waits in the deferred bucket, where every later run looks first.
        await LeaveAsync(job, items.Where(i => i.State == ItemState.SoftDeleted && i.ErasureJobId != job.Id).ToList(), cancellationToken);
        var mine = items.Where(i => IsToPurge(i, job.Id, asOf)).ToList();
        if (mine.Count == 0)
        {
            return null;
        }

        if (await Ports.Holds.IsHeldAsync(job.TenantId, subjectRef, cancellationToken))
        {
            await KeepUnderHoldAsync(job, mine, tally, cancellationToken);
            return null;
        }

        if (await Jobs.OpenErasureAsync(job.TenantId, subjectRef, cancellationToken) is not null)
        {
            // The open erasure hides and purges them itself, and certifies; a cancelled one leaves them to a later run.
            await LeaveAsync(job, mine, cancellationToken);
            tally.AddLeftToErasure(mine.Count);
            return null;
        }

        return mine;
    }

    /// <summary>
    /// Kinds of item an archive can hold: records (moved into an archived object) and files (tagged for their tier). A masked copy
    /// (an erasure's, linked to no subject) is not archived: it is purged when its retention ends.
    /// </summary>
    private static bool ArchivesNow(Tenant tenant, InventoryItem item) =>
        item.State == ItemState.Active && item.Kind is "record" or "file" && !string.IsNullOrEmpty(item.SubjectRef) && tenant.Archive.For(item.Category) is not null;

    /// <summary>
    /// One subject's due items of archiving categories, category by category: archived until the run's moment plus the
    /// category's archive period (the same for every attempt of the run). What did not move (changed meanwhile, or failed)
    /// waits in the deferred bucket; a hold that came since the check keeps the rest as they are.
    /// </summary>
    private async Task ArchiveSubjectAsync(
        Job job, Tenant tenant, string subjectRef, List<InventoryItem> items, string attempt, DateTimeOffset now, RetentionTally tally, CancellationToken cancellationToken)
    {
        foreach (var category in items.GroupBy(i => i.Category, StringComparer.Ordinal))
        {
            var rule = tenant.Archive.For(category.Key)!;
            var until = LifecyclePolicy.Deadline(job.CreatedAt, rule.After.ToTimeSpan(), tenant.TimeScale);
            var batch = new ArchiveBatch(tenant, subjectRef, category.Key, rule, category.ToList(), job.Id, attempt, now, until);
            try
            {
                var outcome = await Ports.Archiver.ArchiveAsync(batch, cancellationToken);
                tally.AddArchived(outcome.Archived.Count);
                tally.AddFailed(outcome.Failed.Select(f => new JobError(f.ItemId, f.Failure, now)).ToList());
                var archived = outcome.Archived.ToHashSet(StringComparer.Ordinal);
                await LeaveAsync(job, category.Where(i => !archived.Contains(i.ItemId)).ToList(), cancellationToken);
            }
            catch (LegalHoldException)
            {
                var after = await Ports.Inventory.CurrentAsync(job.TenantId, category.Select(i => i.ItemId).ToList(), cancellationToken);
                tally.AddArchived(after.Count(i => i.State == ItemState.Archived && i.ArchivedBy == job.Id));
                await KeepUnderHoldAsync(job, after.Where(i => i.State == ItemState.Active).ToList(), tally, cancellationToken);
            }
        }
    }

    /// <summary>
    /// One subject's purge, after the page hid its items: records with their tombstones and objects through purging, each move
    /// conditional on no legal hold; a hold that came meanwhile stops the rest; a subject with nothing left loses its KEK.
    /// </summary>
    private async Task PurgeSubjectAsync(Job job, string subjectRef, List<InventoryItem> mine, DateTimeOffset now, RetentionTally tally, CancellationToken cancellationToken)
    {
        var purged = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var hidden = mine.Select(i => i.State is ItemState.Active or ItemState.Archived ? i with { State = ItemState.SoftDeleted, ErasureJobId = job.Id } : i).ToList();
            var single = hidden.Where(i => i.IsSingleTableItem && i.State == ItemState.SoftDeleted).ToList();
            foreach (var id in await Ports.Inventory.PurgeSingleTableItemsAsync(job.TenantId, subjectRef, job.Id, single, now, cancellationToken))
            {
                purged.Add(id);
                tally.AddPurged(single.First(i => i.ItemId == id), 0);
            }

            var objects = hidden.Where(i => !single.Contains(i)).ToList();
            var purging = await Ports.Inventory.BeginPurgeAsync(job.TenantId, subjectRef, objects, now, cancellationToken);
            var targets = objects.Where(i => purging.Contains(i.ItemId)).ToList();
            var outcomes = targets.Count == 0 ? [] : await Ports.Purger.PurgeAsync(job.TenantId, targets, cancellationToken);
            var succeeded = outcomes.Where(o => o.Succeeded).ToList();
            await Ports.Inventory.MarkPurgedAsync(job.TenantId, succeeded.Select(o => (o.ItemId, o.Versions)).ToList(), job.Id, now, cancellationToken);
            foreach (var outcome in succeeded)
            {
                purged.Add(outcome.ItemId);
                tally.AddPurged(targets.First(i => i.ItemId == outcome.ItemId), outcome.Versions);
            }

            var failed = outcomes.Where(o => !o.Succeeded).ToList();
            tally.AddFailed(failed.Select(o => new JobError(o.ItemId, o.Failure!, now)).ToList());
            // A failed purge leaves its item purging, and an item whose move did not apply (it changed meanwhile) is where it
            // was: both wait in the deferred bucket, so a later run decides about them again (a purged one never comes back).
            await LeaveAsync(job, mine.Where(i => !purged.Contains(i.ItemId)).ToList(), cancellationToken);
        }
        catch (LegalHoldException)
        {
            // A hold placed since the check: every purge move is conditional on none, so what was not purged yet stays. Where
            // this page got to is read back (a guarded write of many items may have gone through before the one that failed).
            var after = await Ports.Inventory.CurrentAsync(job.TenantId, mine.Select(i => i.ItemId).ToList(), cancellationToken);
            foreach (var gone in after.Where(i => i.State == ItemState.Purged && i.PurgedBy == job.Id && !purged.Contains(i.ItemId)))
            {
                purged.Add(gone.ItemId);
                tally.AddPurged(gone, gone.VersionsDeleted);
            }

            await KeepUnderHoldAsync(job, after.Where(i => !purged.Contains(i.ItemId)).ToList(), tally, cancellationToken);
            return;
        }

        // Items of no subject (an erasure's masked copies) have no subject key to shred.
        if (purged.Count > 0 && subjectRef.Length > 0 && !await Ports.Due.HasItemsLeftAsync(job.TenantId, subjectRef, cancellationToken)
            && await Ports.Keys.ShredIfQuietAsync(job.TenantId, subjectRef, now - Ports.ShredQuietPeriod, cancellationToken) is not null)
        {
            tally.AddKeyShredded();
        }
    }

    /// <summary>
    /// Due and this run's to decide about: active past its retention, archived past its archive period, hidden by this run, or
    /// left purging by a failed purge.
    /// </summary>
    private static bool IsToPurge(InventoryItem item, string jobId, DateTimeOffset asOf) => item.State switch
    {
        ItemState.Active => item.RetainUntil is { } until && until <= asOf,
        ItemState.Archived => item.ArchivedBy != jobId && item.ArchivedUntil is { } end && end <= asOf,
        ItemState.SoftDeleted => item.ErasureJobId == jobId,
        ItemState.Purging => true,
        _ => false,
    };

    /// <summary>
    /// A held subject's due items: counted, and left as they were before this run: what this run hid comes back (a hold keeps
    /// data readable as well as undeleted), and all of them wait in the deferred bucket for a run after the release.
    /// </summary>
    private async Task KeepUnderHoldAsync(Job job, List<InventoryItem> items, RetentionTally tally, CancellationToken cancellationToken)
    {
        var hiddenByThisRun = items.Where(i => i.State == ItemState.SoftDeleted && i.ErasureJobId == job.Id).ToList();
        await Ports.Inventory.UnhideAsync(job.TenantId, hiddenByThisRun, job.Id, cancellationToken);
        await LeaveAsync(job, items.Select(i => hiddenByThisRun.Contains(i) ? i with { State = ItemState.Active } : i).ToList(), cancellationToken);
        tally.AddHeld(items.Count);
    }

    private Task LeaveAsync(Job job, List<InventoryItem> items, CancellationToken cancellationToken) =>
        items.Count == 0 ? Task.CompletedTask : Ports.Due.DeferAsync(job.TenantId, items, job.CreatedAt, cancellationToken);

    /// <summary>What a page did, added to by its subjects (several at once, so every change is under one lock).</summary>
    private sealed class RetentionTally
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, long> _byCategory = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _byStore = new(StringComparer.Ordinal);
        private readonly List<JobError> _errors = [];
        private long _archived, _purged, _versions, _held, _failed, _leftToErasure, _keysShredded;

        public long Archived => _archived;

        public long Purged => _purged;

        public long Versions => _versions;

        public long Held => _held;

        public long Failed => _failed;

        public long LeftToErasure => _leftToErasure;

        public long KeysShredded => _keysShredded;

        public IReadOnlyList<JobError> Errors => _errors;

        public IReadOnlyDictionary<string, long> ByCategory => _byCategory;

        public IReadOnlyDictionary<string, long> ByStore => _byStore;

        public void AddPurged(InventoryItem item, long versions)
        {
            lock (_gate)
            {
                _purged++;
                _versions += versions;
                _byCategory[item.Category] = _byCategory.GetValueOrDefault(item.Category) + 1;
                _byStore[item.Store] = _byStore.GetValueOrDefault(item.Store) + 1;
            }
        }

        public void AddHeld(long count) => Interlocked.Add(ref _held, count);

        public void AddArchived(long count) => Interlocked.Add(ref _archived, count);

        public void AddLeftToErasure(long count) => Interlocked.Add(ref _leftToErasure, count);

        public void AddKeyShredded() => Interlocked.Increment(ref _keysShredded);

        public void AddFailed(List<JobError> errors)
        {
            lock (_gate)
            {
                _failed += errors.Count;
                _errors.AddRange(errors);
            }
        }
    }
}
