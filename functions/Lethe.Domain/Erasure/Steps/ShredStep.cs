using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// Shred: decided from the job's counters (never from an index read). When nothing of the subject survives, deletes its KEK and
/// directory entry. When restored items survive, their DEKs are rewrapped under a fresh KEK one page per invocation (the state
/// carries the cursor, nothing grows with the subject), then the fresh KEK replaces the old one, which is destroyed; unless a
/// survivor is an archived record (sealed inside an object that cannot be rewritten): then the KEK is kept (<c>kek-kept</c>).
/// Refuses when items failed (no shred, no certificate).
/// </summary>
public sealed class ShredStep(ErasurePorts ports) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Counts.Failed > 0)
        {
            throw new ErasureIncompleteException($"{job.Counts.Failed} item(s) could not be erased after retries; they are listed on the job. Retry the request to process them again.");
        }

        await MoveAsync(job, JobTransitions.Advance(JobPhases.Purge, JobPhases.Shred, Now), cancellationToken);
        var survivors = job.Counts.Restored + job.Counts.Held;
        if (survivors == 0)
        {
            var shredded = await Ports.Keys.ShredAsync(job.TenantId, job.SubjectRef, cancellationToken);
            await AuditOnceAsync(job, "shred", "erasure.shred", AuditActions.Success, new JsonObject { ["method"] = "kek-deleted", ["kekId"] = shredded, ["survivors"] = 0 }, cancellationToken);
            return state with { Cursor = null, Page = 0, More = false, ShredMethod = "kek-deleted", ShreddedKekId = shredded ?? "none" };
        }

        if (state.Cursor is null && await HasArchivedSurvivorAsync(job, state.PageSize, cancellationToken))
        {
            // A kept record sits sealed under the subject's KEK inside an archived object, which cannot be rewritten without a
            // restore: the KEK stays, or the record would be lost. What this erasure purged is gone with its rows and its
            // archive keys; the certificate says the KEK was kept.
            await AuditOnceAsync(job, "shred", "erasure.shred", AuditActions.Success, new JsonObject { ["method"] = "kek-kept", ["kekId"] = null, ["survivors"] = survivors }, cancellationToken);
            return state with { Cursor = null, Page = 0, More = false, ShredMethod = "kek-kept", ShreddedKekId = "none" };
        }

        var (items, next) = await Ports.Inventory.PageAsync(job.TenantId, job.SubjectRef, state.Cursor, state.PageSize, cancellationToken);
        var candidates = items.Where(i => i.State != ItemState.Purged && i.Kind == "record" && i.Encrypted).Select(i => i.ItemId).ToList();
        var current = candidates.Count == 0 ? [] : await Ports.Inventory.CurrentAsync(job.TenantId, candidates, cancellationToken);
        if (await Ports.Keys.PrepareReplacementAsync(job.TenantId, job.SubjectRef, cancellationToken) is var (old, fresh))
        {
            using (old)
            using (fresh)
            {
                foreach (var survivor in current.Where(c => c.State != ItemState.Purged))
                {
                    await Ports.Rewrapper.RewrapRecordAsync(job.TenantId, job.SubjectRef, survivor, old, fresh, cancellationToken);
                }

                if (next is null)
                {
                    await Ports.Rewrapper.RewrapDirectoryAsync(job.TenantId, job.SubjectRef, old, fresh, cancellationToken);
                }
            }
        }

        if (next is not null)
        {
            return state with { Cursor = next, Page = state.Page + 1, More = true };
        }

        var replaced = await Ports.Keys.CommitReplacementAsync(job.TenantId, job.SubjectRef, cancellationToken);
        await AuditOnceAsync(job, "shred", "erasure.shred", AuditActions.Success, new JsonObject { ["method"] = "kek-replaced", ["kekId"] = replaced, ["survivors"] = survivors }, cancellationToken);
        return state with { Cursor = null, Page = 0, More = false, ShredMethod = "kek-replaced", ShreddedKekId = replaced ?? "none" };
    }

    /// <summary>Whether a surviving encrypted record of the subject is archived (read page by page before anything is rewrapped).</summary>
    private async Task<bool> HasArchivedSurvivorAsync(Job job, int pageSize, CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var (items, next) = await Ports.Inventory.PageAsync(job.TenantId, job.SubjectRef, cursor, pageSize, cancellationToken);
            if (items.Any(i => i.Kind == "record" && i.Encrypted && i.State != ItemState.Purged && (i.State == ItemState.Archived || i.HiddenFrom == ItemState.Archived)))
            {
                return true;
            }

            cursor = next;
        }
        while (cursor is not null);

        return false;
    }
}
