using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Retention.Steps;

/// <summary>
/// PurgePage: decides about the items of the page's manifest, subject by subject, from their current state (consistent
/// reads): a held subject's items are skipped, counted and left for later runs; a subject whose erasure is open is left to that
/// erasure; everything else is purged through the erasure's own moves (hidden, then purged with its data and every object
/// version, each move conditional on no legal hold in the same transaction). A subject with nothing left loses its KEK. The
/// page's counts are added to the job once; a replay finds what an earlier attempt purged (state purged by this job) and
/// counts it, so no item is counted twice or missed.
/// </summary>
public sealed class PurgePageStep(RetentionPorts ports) : RetentionStep(ports)
{
    public override async Task<RetentionSweepState> RunAsync(RetentionSweepState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var listed = await Ports.Manifests.ReadAsync(job.TenantId, job.Id, state.Page, cancellationToken)
            ?? throw new InvalidOperationException($"Page {state.Page} of retention sweep {job.Id} has no manifest.");
        var current = await Ports.Inventory.CurrentAsync(job.TenantId, listed.Select(i => i.ItemId).ToList(), cancellationToken);
        var tally = new RetentionTally();
        foreach (var subject in current.GroupBy(i => i.SubjectRef ?? string.Empty, StringComparer.Ordinal))
        {
            await SweepSubjectAsync(job, subject.Key, subject.ToList(), tally, cancellationToken);
        }

        var earned = ErasureCounts.None with { Total = tally.Purged + tally.Held + tally.Failed, Purged = tally.Purged, Held = tally.Held, Failed = tally.Failed };
        earned = earned with { PurgedByCategory = tally.ByCategory, PurgedByStore = tally.ByStore, VersionsDeleted = tally.Versions };
        await Jobs.RecordPageAsync(job.TenantId, job.Id, JobPhases.Sweep, state.Page, earned, tally.Errors, Now, cancellationToken);
        await AuditOnceAsync(job, $"page:{state.Page}", "retention.page", tally.Failed > 0 ? "partial" : AuditActions.Success, new JsonObject
        {
            ["page"] = state.Page,
            ["purged"] = tally.Purged,
            ["skippedUnderHold"] = tally.Held,
            ["leftToErasure"] = tally.LeftToErasure,
            ["failed"] = tally.Failed,
            ["keysShredded"] = tally.KeysShredded,
            ["manifestSha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', listed.Select(i => i.ItemId).Order(StringComparer.Ordinal))))),
        }, cancellationToken);

        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Selected = false,
            PagesInExecution = inExecution,
            HandOver = state.More && inExecution >= state.PagesPerExecution,
        };
    }

    private async Task SweepSubjectAsync(Job job, string subjectRef, List<InventoryItem> items, RetentionTally tally, CancellationToken cancellationToken)
    {
        var asOf = job.CreatedAt;
        // Purged by an earlier attempt of this page: counted now, as the attempt that purged them never recorded the page.
        foreach (var done in items.Where(i => i.State == ItemState.Purged && i.ErasureJobId == job.Id))
        {
            tally.AddPurged(done, done.VersionsDeleted);
        }

        var mine = items.Where(i => IsToPurge(i, job.Id, asOf)).ToList();
        if (mine.Count == 0)
        {
            return;
        }

        if (await Ports.Holds.IsHeldAsync(job.TenantId, subjectRef, cancellationToken))
        {
            await LeaveAsync(job, mine, cancellationToken);
            tally.Held += mine.Count;
            return;
        }

        if (await Jobs.OpenErasureAsync(job.TenantId, subjectRef, cancellationToken) is not null)
        {
            // The open erasure hides and purges them itself, and certifies; a cancelled one leaves them to a later run.
            await LeaveAsync(job, mine, cancellationToken);
            tally.LeftToErasure += mine.Count;
            return;
        }

        var now = Now;
        var purged = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await Ports.Inventory.SoftDeleteAsync(job.TenantId, mine.Where(i => i.State == ItemState.Active).ToList(), job.Id, now, now, cancellationToken);
            var hidden = mine.Select(i => i.State == ItemState.Active ? i with { State = ItemState.SoftDeleted, ErasureJobId = job.Id } : i).ToList();
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
            tally.Failed += failed.Count;
            tally.Errors.AddRange(failed.Select(o => new JobError(o.ItemId, o.Failure!, now)));
            // A failed purge leaves its item purging: later runs find it in the deferred bucket and try again.
            await LeaveAsync(job, targets.Where(i => failed.Any(o => o.ItemId == i.ItemId)).ToList(), cancellationToken);
        }
        catch (LegalHoldException)
        {
            // A hold placed since the check: every move is conditional on none, so what was not purged yet stays. Hidden items
            // stay hidden and intact (nothing deletes them while the hold stands); the rest wait for a later run.
            var kept = mine.Where(i => !purged.Contains(i.ItemId)).ToList();
            await LeaveAsync(job, kept.Where(i => i.State != ItemState.SoftDeleted).ToList(), cancellationToken);
            tally.Held += kept.Count;
            return;
        }

        if (purged.Count > 0 && !await Ports.Due.HasItemsLeftAsync(job.TenantId, subjectRef, cancellationToken)
            && await Ports.Keys.ShredIfQuietAsync(job.TenantId, subjectRef, now - Ports.ShredQuietPeriod, cancellationToken) is not null)
        {
            tally.KeysShredded++;
        }
    }

    /// <summary>Due and this run's to decide about: active past its retention, hidden by this run, or left purging by a failed purge.</summary>
    private static bool IsToPurge(InventoryItem item, string jobId, DateTimeOffset asOf) => item.State switch
    {
        ItemState.Active => item.RetainUntil is { } until && until <= asOf,
        ItemState.SoftDeleted => item.ErasureJobId == jobId,
        ItemState.Purging => true,
        _ => false,
    };

    private Task LeaveAsync(Job job, List<InventoryItem> items, CancellationToken cancellationToken) =>
        items.Count == 0 ? Task.CompletedTask : Ports.Due.DeferAsync(job.TenantId, items, job.CreatedAt, cancellationToken);

    private sealed class RetentionTally
    {
        private readonly Dictionary<string, long> _byCategory = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _byStore = new(StringComparer.Ordinal);

        public long Purged { get; private set; }

        public long Versions { get; private set; }

        public long Held { get; set; }

        public long Failed { get; set; }

        public long LeftToErasure { get; set; }

        public long KeysShredded { get; set; }

        public List<JobError> Errors { get; } = [];

        public IReadOnlyDictionary<string, long> ByCategory => _byCategory;

        public IReadOnlyDictionary<string, long> ByStore => _byStore;

        public void AddPurged(InventoryItem item, long versions)
        {
            Purged++;
            Versions += versions;
            _byCategory[item.Category] = _byCategory.GetValueOrDefault(item.Category) + 1;
            _byStore[item.Store] = _byStore.GetValueOrDefault(item.Store) + 1;
        }
    }
}
