using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.BackupScrub.Steps;

/// <summary>
/// ScrubPage: the next page of the source job's tombstones; whatever is left of each purged key (a version, a delete marker, a
/// copy in the replica bucket) is deleted; the page's counts (keys, versions, failures) are added to the job once.
/// </summary>
public sealed class ScrubPageStep(BackupScrubPorts ports) : BackupScrubStep(ports)
{
    public override async Task<BackupScrubState> RunAsync(BackupScrubState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.BackupWindow, JobPhases.Scrub, Now), cancellationToken);
        var (items, next) = await Ports.Tombstones.PurgedByAsync(job.TenantId, job.SourceJobId!, state.Cursor, Math.Clamp(state.PageSize, 1, BackupScrubWorkflow.PageSize), cancellationToken);
        var page = state.Page + 1;
        var outcome = items.Count == 0 ? new ObjectScrubOutcome(0, 0, []) : await Ports.Objects.ScrubAsync(job.TenantId, items, cancellationToken);
        var errors = outcome.Failed.Select(f => new JobError(f.ItemId, f.Failure, Now)).ToList();
        var earned = ErasureCounts.None with
        {
            Total = items.Count,
            Purged = items.Count - errors.Count,
            Failed = errors.Count,
            VersionsDeleted = outcome.Versions + outcome.ReplicaVersions,
            PurgedByStore = new Dictionary<string, long>(StringComparer.Ordinal) { [BackupScrubWorkflow.DataVersions] = outcome.Versions, [BackupScrubWorkflow.ReplicaVersions] = outcome.ReplicaVersions },
        };
        // Page marks per execution: a restart pages from the first tombstone again without its counts being taken for replays.
        await Jobs.RecordPageAsync(job.TenantId, job.Id, $"{JobPhases.Scrub}-{state.Execution}", page, earned, errors, Now, cancellationToken);

        await AuditOnceAsync(job, $"page:{state.Execution}:{page}", "backup-scrub.page", errors.Count > 0 ? "partial" : AuditActions.Success, new JsonObject
        {
            ["page"] = page,
            ["keys"] = items.Count,
            ["versionsDeleted"] = outcome.Versions,
            ["replicaVersionsDeleted"] = outcome.ReplicaVersions,
            ["failed"] = errors.Count,
        }, cancellationToken);
        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Cursor = next,
            Page = page,
            More = next is not null,
            PagesInExecution = inExecution,
            HandOver = next is not null && inExecution >= state.PagesPerExecution,
        };
    }
}
