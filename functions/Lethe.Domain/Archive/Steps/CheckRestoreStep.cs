using Lethe.Domain.Policies;

namespace Lethe.Domain.Archive.Steps;

/// <summary>
/// CheckRestore: whether S3 has restored the item's object. Not yet: the next look is one poll interval away, until the longest
/// restore S3 takes (Deep Archive Bulk, 48 hours, scaled) and one more interval have passed since the request; then the
/// retrieval fails (<c>Lethe.RestoreTimedOut</c>).
/// </summary>
public sealed class CheckRestoreStep(ArchiveRetrievalPorts ports) : ArchiveRetrievalStep(ports)
{
    public override async Task<ArchiveRetrievalState> RunAsync(ArchiveRetrievalState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var tenant = await TenantAsync(job, cancellationToken);
        var item = await ItemAsync(job, cancellationToken)
            ?? throw new ItemNotArchivedException($"Item {job.ItemId} is no longer in the inventory: there is nothing to retrieve.");
        if (await Ports.Archive.IsRestoredAsync(item, cancellationToken))
        {
            return state with { Restored = true, Checks = state.Checks + 1 };
        }

        var interval = BeginStep.Interval(tenant.TimeScale);
        var giveUpAt = LifecyclePolicy.Deadline(job.CreatedAt, LifecyclePolicy.ArchiveRetrievalMaximum, tenant.TimeScale) + interval;
        if (Now > giveUpAt)
        {
            throw new RestoreTimedOutException(
                $"S3 had not restored item {item.ItemId} after {state.Checks + 1} looks, past the longest restore it takes ({LifecyclePolicy.ArchiveRetrievalMaximum.TotalHours:0} hours, scaled); submit the retrieval again.");
        }

        return state with { Restored = false, Checks = state.Checks + 1, CheckAt = Timestamp(Now + interval) };
    }
}
