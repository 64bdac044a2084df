using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Offboarding.Steps;

/// <summary>
/// PurgePage: one page of the tenant's data deleted, in passes over every table and bucket (KEKs first, so nothing of it is
/// readable from the first page on). A pass that finds nothing left proves the tenant empty; a pass that still deleted
/// something (a writer that had read the tenant before it refused changes) sends the loop round once more, at most
/// <see cref="TenantOffboardingWorkflow.MaxPasses"/> times. Each page's counts are added to the job once.
/// </summary>
public sealed class PurgePageStep(TenantOffboardingPorts ports) : OffboardingStep(ports)
{
    public override async Task<TenantOffboardingState> RunAsync(TenantOffboardingState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        // No recount on a restart: a deleted item is never found (or counted) again, and each page counts once per execution.
        var job = await OpenJobAsync(state, cancellationToken);
        var nothingDeletedYet = job.Phase != JobPhases.Purge;
        if (job.Phase == JobPhases.DownloadWindow && job.DownloadExpiresAt is { } until
            && !await Lethe.Domain.Jobs.Workflow.WaitStates.WaitOutRemainderAsync(until, Clock, cancellationToken))
        {
            // The final export was promised downloadable until then: nothing is purged a moment early.
            throw new Errors.TransientException($"The final export of job {job.Id} stays downloadable until {Timestamps.Format(until)}.");
        }

        job = await MoveAsync(job, JobTransitions.AdvanceFromAny([JobPhases.Drain, JobPhases.DownloadWindow], JobPhases.Purge, Now), cancellationToken);
        var cursor = PurgeCursor.Decode(state.Cursor);
        if (cursor.StoreCursor is null && await Ports.Holds.ListAsync(job.TenantId, cancellationToken) is { Count: > 0 } holds)
        {
            // A hold that landed after the drain (a request already in flight then): nothing more is deleted. Before the first
            // page nothing was, and the tenant takes changes again; later, it stays offboarding for an operator to look at.
            if (nothingDeletedYet)
            {
                await ReactivateAsync(job, cancellationToken);
            }

            throw new LegalHoldActiveException(
                $"{holds.Count} legal hold(s) of tenant {job.TenantId} stand ({string.Join(", ", holds.Take(5).Select(h => h.Id))}): the purge stopped before pass {cursor.Pass}. Release the holds, then offboard again.");
        }

        var page = state.Page + 1;
        var deleted = await Ports.Purger.PurgePageAsync(job, cursor.StoreCursor, state.PageSize, cancellationToken);
        var earned = ErasureCounts.None with
        {
            Total = deleted.Deleted,
            Purged = deleted.Deleted,
            VersionsDeleted = deleted.ObjectVersions,
            PurgedByStore = deleted.DeletedByStore,
        };
        await Jobs.RecordPageAsync(job.TenantId, job.Id, $"{JobPhases.Purge}-{state.Execution}", page, earned, [], Now, cancellationToken);
        var stores = new JsonObject();
        foreach (var (store, count) in deleted.DeletedByStore.Where(s => s.Value > 0))
        {
            stores[store] = count;
        }

        await AuditOnceAsync(job, $"page:{state.Execution}:{page}", "tenant-offboarding.purge-page", AuditActions.Success, new JsonObject
        {
            ["page"] = page,
            ["pass"] = cursor.Pass,
            ["deletedByStore"] = stores,
            ["objectVersionsDeleted"] = deleted.ObjectVersions,
        }, cancellationToken);

        var inPass = cursor.DeletedInPass + deleted.Deleted;
        PurgeCursor? next;
        if (deleted.NextCursor is not null)
        {
            next = cursor with { DeletedInPass = inPass, StoreCursor = deleted.NextCursor };
        }
        else if (inPass == 0)
        {
            next = null;
        }
        else
        {
            next = cursor.Pass < TenantOffboardingWorkflow.MaxPasses
                ? new PurgeCursor(cursor.Pass + 1, 0, null)
                : throw new TenantPurgeIncompleteException(
                    $"Pass {cursor.Pass} over tenant {job.TenantId} still deleted {inPass} item(s): something keeps writing to it. The tenant is neither certified nor terminated; retry once the writer is stopped.");
        }

        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Cursor = next?.Encode(),
            Page = page,
            More = next is not null,
            PagesInExecution = inExecution,
            HandOver = next is not null && inExecution >= state.PagesPerExecution,
        };
    }
}
