using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Policies;
using Lethe.Domain.Notifications;

namespace Lethe.Domain.Archive.Steps;

/// <summary>
/// MakeReadable: the restored item becomes readable (a record back in the Records table, a file downloadable) for the readable
/// window (7 days, scaled); the job moves to <c>readable</c> with the window's end. A replay keeps the window it set first.
/// </summary>
public sealed class MakeReadableStep(ArchiveRetrievalPorts ports) : ArchiveRetrievalStep(ports)
{
    public override async Task<ArchiveRetrievalState> RunAsync(ArchiveRetrievalState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Phase == JobPhases.Readable && job.DownloadExpiresAt is { } set)
        {
            // A replay after the move: the notice may not have gone out yet (its name keeps it once).
            await Ports.Notices.TrySendAsync(job, NotificationEvents.ArchiveReady, Now, cancellationToken);
            return state with { ReadableUntil = Timestamp(set) };
        }

        var tenant = await TenantAsync(job, cancellationToken);
        var item = await ItemAsync(job, cancellationToken)
            ?? throw new ItemNotArchivedException($"Item {job.ItemId} is no longer in the inventory: there is nothing to retrieve.");
        // A replay after the item was made readable but before the job moved keeps the window it set then.
        var until = item.RetrievedBy == job.Id && item.RetrievedUntil is { } earlier
            ? earlier
            : LifecyclePolicy.Deadline(Now, LifecyclePolicy.RetrievedReadableWindow, tenant.TimeScale);
        if (!await Ports.Archive.MakeReadableAsync(tenant, item, job.Id, until, cancellationToken))
        {
            throw new ItemNotArchivedException($"Item {item.ItemId} left the archive while it was restored (an erasure or the end of its archive period): it stays unreadable.");
        }

        job = await MoveAsync(job, JobTransitions.Readable(until, Now), cancellationToken);
        await AuditOnceAsync(job, "readable", "archive.readable", AuditActions.Success, new JsonObject
        {
            ["itemId"] = item.ItemId,
            ["readableUntil"] = AuditChain.FormatTime(until),
        }, cancellationToken);
        await Ports.Notices.TrySendAsync(job, NotificationEvents.ArchiveReady, Now, cancellationToken);
        return state with { ReadableUntil = Timestamp(job.DownloadExpiresAt ?? until) };
    }
}
