using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Retention.Steps;

/// <summary>
/// StartBackupScrub: a certified run that purged something starts its backup scrub (workflows/backup-scrub.asl.json, a job
/// named after the run, so a replay starts nothing twice); a run that purged nothing owes none.
/// </summary>
public sealed class StartBackupScrubStep(RetentionPorts ports) : RetentionStep(ports)
{
    public override async Task<RetentionSweepState> RunAsync(RetentionSweepState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Counts.Purged == 0)
        {
            return state;
        }

        var scrub = await Ports.Scrubs.StartAsync(job, cancellationToken);
        await AuditOnceAsync(job, "backup-scrub", "retention.backup-scrub", AuditActions.Success, new JsonObject { ["scrubJobId"] = scrub.Id, ["dueBy"] = Timestamps.Format(scrub.Deadline ?? scrub.CreatedAt) }, cancellationToken);
        return state;
    }
}
