using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// StartBackupScrub: the certified erasure starts its backup scrub (workflows/backup-scrub.asl.json, a job of its own named
/// after this one, so a replay starts nothing twice), and moves on to its notice.
/// </summary>
public sealed class StartBackupScrubStep(ErasurePorts ports) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var scrub = await Ports.Scrubs.StartAsync(job, cancellationToken);
        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Certify, JobPhases.Notify, Now), cancellationToken);
        await AuditOnceAsync(job, "backup-scrub", "erasure.backup-scrub", AuditActions.Success, new JsonObject { ["scrubJobId"] = scrub.Id, ["dueBy"] = Timestamps.Format(scrub.Deadline ?? scrub.CreatedAt) }, cancellationToken);
        return state;
    }
}
