using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.BackupScrub.Steps;

/// <summary>
/// ScrubPage: the next page of the source job's tombstones; whatever is left of each purged object key (a version, a delete
/// marker, a copy in the replica bucket) is deleted; the page's counts (tombstones read, object keys scrubbed, versions,
/// failures) are added to the job once. After the last page the job moves to <c>backup-window</c> (that moment is when the
/// copies were gone).
/// </summary>
public sealed class ScrubPageStep(BackupScrubPorts ports) : BackupScrubStep(ports)
{
    public override async Task<BackupScrubState> RunAsync(BackupScrubState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var (items, next) = await Ports.Tombstones.PurgedByAsync(job.TenantId, job.SourceJobId!, state.Cursor, Math.Clamp(state.PageSize, 1, BackupScrubWorkflow.PageSize), cancellationToken);
        var page = state.Page + 1;
        var outcome = items.Count == 0 ? new ObjectScrubOutcome(0, 0, 0, []) : await Ports.Objects.ScrubAsync(job.TenantId, items, cancellationToken);
        var errors = outcome.Failed.Select(f => new JobError(f.ItemId, f.Failure, Now)).ToList();
        var earned = ErasureCounts.None with
        {
            Total = items.Count,
            Purged = outcome.Keys,
            Failed = errors.Count,
            VersionsDeleted = outcome.Versions + outcome.ReplicaVersions,
            PurgedByStore = new Dictionary<string, long>(StringComparer.Ordinal) { [BackupScrubWorkflow.DataVersions] = outcome.Versions, [BackupScrubWorkflow.ReplicaVersions] = outcome.ReplicaVersions },
        };
        // Page marks per execution: a restart (its counts cleared by Begin) pages from the first tombstone again.
        await Jobs.RecordPageAsync(job.TenantId, job.Id, $"{JobPhases.Scrub}-{state.Execution}", page, earned, errors, Now, cancellationToken);

        await AuditOnceAsync(job, $"page:{state.Execution}:{page}", "backup-scrub.page", errors.Count > 0 ? "partial" : AuditActions.Success, new JsonObject
        {
            ["page"] = page,
            ["tombstones"] = items.Count,
            ["objectKeys"] = outcome.Keys,
            ["versionsDeleted"] = outcome.Versions,
            ["replicaVersionsDeleted"] = outcome.ReplicaVersions,
            ["failed"] = errors.Count,
        }, cancellationToken);
        if (next is null)
        {
            await MoveAsync(job, JobTransitions.Advance(JobPhases.Scrub, JobPhases.BackupWindow, Now), cancellationToken);
        }

        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Cursor = next,
            Page = page,
            More = next is not null,
            Scrubbed = next is null,
            PagesInExecution = inExecution,
            HandOver = next is not null && inExecution >= state.PagesPerExecution,
        };
    }
}
