using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.BackupScrub.Steps;

/// <summary>
/// Begin: the source job is certified, and every table's point-in-time recovery keeps at most 30 days (recorded in the audit);
/// the job moves to <c>scrub</c>, which starts a minute (scaled) later, when the tombstone index has caught up. A restart in
/// <c>scrub</c> pages from the first tombstone again with its counts cleared (a hand-over carries its cursor); a restart in
/// <c>backup-window</c> goes straight to the window.
/// </summary>
public sealed class BeginStep(BackupScrubPorts ports) : BackupScrubStep(ports)
{
    public override async Task<BackupScrubState> RunAsync(BackupScrubState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var report = await InspectBackupsAsync(job, cancellationToken);
        var windowEnd = Timestamps.Format(await WindowEndAsync(job, report, cancellationToken));
        var now = Timestamps.Format(Now);
        if (job.Status == JobStatus.Running && job.Phase is JobPhases.BackupWindow or JobPhases.Certify)
        {
            return state with { ScrubAt = now, Scrubbed = true, WaitUntil = windowEnd, More = false, HandOver = false };
        }

        if (job.Status == JobStatus.Running && job.Phase == JobPhases.Scrub)
        {
            if (state.Cursor is null)
            {
                await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Recount(JobPhases.Scrub, Now), cancellationToken);
            }

            return state with { ScrubAt = now, Scrubbed = false, WaitUntil = windowEnd, More = true, HandOver = false };
        }

        var (source, certificate) = await SourceAsync(job, cancellationToken);
        job = await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.Scrub, Now), cancellationToken);
        await AuditOnceAsync(job, "begin", "backup-scrub.start", AuditActions.Success, new JsonObject
        {
            ["sourceJobId"] = source.Id,
            ["certificateId"] = certificate.CertificateId,
            ["tablesChecked"] = report.Tables.Count,
            ["pointInTimeRecoveryDaysMax"] = report.LongestRecoveryDays,
            ["backupsBeforeDeletion"] = report.BackupsBefore.Count,
            ["windowEndsAt"] = windowEnd,
        }, cancellationToken);
        var scale = (await Ports.Tenants.FindAsync(job.TenantId, cancellationToken))?.TimeScale ?? 1;
        return state with
        {
            ScrubAt = Timestamps.Format(Now + Policies.LifecyclePolicy.Scaled(BackupScrubWorkflow.IndexSettle, scale)),
            Scrubbed = false,
            WaitUntil = windowEnd,
            Cursor = null,
            Page = 0,
            PagesInExecution = 0,
            More = true,
            HandOver = false,
        };
    }
}
