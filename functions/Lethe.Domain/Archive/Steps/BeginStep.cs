using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Policies;
using Lethe.Domain.Records;

namespace Lethe.Domain.Archive.Steps;

/// <summary>
/// Begin: the job is open and its item is archived; S3 is asked to restore the item's object at the job's tier, kept as long
/// as the readable window lasts; the job moves to <c>restore</c>, and the first look at the restore is one poll interval away.
/// </summary>
public sealed class BeginStep(ArchiveRetrievalPorts ports) : ArchiveRetrievalStep(ports)
{
    public override async Task<ArchiveRetrievalState> RunAsync(ArchiveRetrievalState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var tenant = await TenantAsync(job, cancellationToken);
        var item = await ItemAsync(job, cancellationToken);
        if (item is not { State: ItemState.Archived })
        {
            throw new ItemNotArchivedException($"Item {job.ItemId} is {(item is null ? "unknown" : ItemStates.Name(item.State))}, not archived: there is nothing to retrieve.");
        }

        var window = LifecyclePolicy.Scaled(LifecyclePolicy.RetrievedReadableWindow, tenant.TimeScale);
        await Ports.Archive.RequestRestoreAsync(tenant, item, job.RetrievalTier ?? "Standard", window, cancellationToken);
        job = await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.Restore, Now, total: 1), cancellationToken);
        await AuditOnceAsync(job, "begin", "archive.restore", AuditActions.Success, new JsonObject
        {
            ["itemId"] = item.ItemId,
            ["tier"] = job.RetrievalTier,
            ["subjectRef"] = item.SubjectRef,
        }, cancellationToken);
        return state with { CheckAt = Timestamp(Now + Interval(tenant.TimeScale)), Restored = false, Checks = 0 };
    }

    /// <summary>The poll interval on the tenant's time scale, at least a second (a Wait state's granularity).</summary>
    internal static TimeSpan Interval(int timeScale) =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, LifecyclePolicy.Scaled(ArchiveRetrievalWorkflow.PollInterval, timeScale).Ticks));
}
