using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.BackupScrub.Steps;

/// <summary>
/// Begin: the source job is certified, and every table's point-in-time recovery keeps at most 30 days (recorded in the audit);
/// the job waits in <c>backup-window</c> until the longest of those windows from before the deletion has ended (at the latest its
/// deadline, 30 days after it). A hand-over or restart in <c>scrub</c> passes straight through with its cursor.
/// </summary>
public sealed class BeginStep(BackupScrubPorts ports) : BackupScrubStep(ports)
{
    public override async Task<BackupScrubState> RunAsync(BackupScrubState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Status == JobStatus.Running && job.Phase == JobPhases.Scrub)
        {
            return state with { WaitUntil = Timestamps.Format(Now), More = true, HandOver = false };
        }

        var (source, certificate) = await SourceAsync(job, cancellationToken);
        var report = await InspectBackupsAsync(job, cancellationToken);
        var windowEnd = Timestamps.Format(await WindowEndAsync(job, report, cancellationToken));
        job = await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.BackupWindow, Now), cancellationToken);
        await AuditOnceAsync(job, "begin", "backup-scrub.start", AuditActions.Success, new JsonObject
        {
            ["sourceJobId"] = source.Id,
            ["certificateId"] = certificate.CertificateId,
            ["tablesChecked"] = report.Tables.Count,
            ["pointInTimeRecoveryDaysMax"] = report.LongestRecoveryDays,
            ["backupsBeforeDeletion"] = report.BackupsBefore.Count,
            ["windowEndsAt"] = windowEnd,
        }, cancellationToken);
        return state with { WaitUntil = windowEnd, Cursor = null, Page = 0, PagesInExecution = 0, More = true, HandOver = false };
    }
}
