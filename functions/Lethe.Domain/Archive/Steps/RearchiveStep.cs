using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Archive.Steps;

/// <summary>
/// Rearchive: the readable window is over; the item is archived again (a record's copy leaves the Records table; a file's
/// restored copy expires in S3 by itself) and the job completes, its item's lock ending in the same write.
/// </summary>
public sealed class RearchiveStep(ArchiveRetrievalPorts ports) : ArchiveRetrievalStep(ports)
{
    public override async Task<ArchiveRetrievalState> RunAsync(ArchiveRetrievalState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await CurrentJobAsync(state, cancellationToken);
        if (job.Status != JobStatus.Completed)
        {
            if (!JobStatuses.IsOpen(job.Status))
            {
                throw new JobNotActiveException($"Job {job.Id} is {JobStatuses.Name(job.Status)}; it cannot complete.");
            }

            if (await ItemAsync(job, cancellationToken) is { } item)
            {
                await Ports.Archive.RearchiveAsync(job.TenantId, item, job.Id, cancellationToken);
            }

            job = await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Complete(job.Type, JobPhases.Readable, Now), cancellationToken)
                ?? throw new JobNotActiveException($"Job {job.Id} could not complete: it is no longer readable.");
        }

        await AuditOnceAsync(job, "rearchive", "archive.rearchive", AuditActions.Success, new JsonObject { ["itemId"] = job.ItemId }, cancellationToken);
        return state;
    }
}
