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
        var job = await CompleteOnceAsync(state, JobPhases.Readable, async open =>
        {
            if (await ItemAsync(open, cancellationToken) is { } item)
            {
                await Ports.Archive.RearchiveAsync(open.TenantId, item, open.Id, cancellationToken);
            }
        }, cancellationToken);
        await AuditOnceAsync(job, "rearchive", "archive.rearchive", AuditActions.Success, new JsonObject { ["itemId"] = job.ItemId }, cancellationToken);
        return state;
    }
}
