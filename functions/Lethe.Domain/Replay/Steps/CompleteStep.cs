using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Replay.Steps;

/// <summary>
/// Complete: every tombstone was replayed without failure; the job completes (its tenant's replay lock ends in the same write)
/// with its report: tombstones read, items and object versions removed again, KEKs shredded again.
/// </summary>
public sealed class CompleteStep(ErasureReplayPorts ports)
    : WorkflowStep<ErasureReplayState>(ErasureReplayWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    public override async Task<ErasureReplayState> RunAsync(ErasureReplayState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await CompleteOnceAsync(state, JobPhases.Replay, open => open.Counts.Failed > 0
            ? throw new ReplayIncompleteException($"{open.Counts.Failed} item(s) could not be removed again; they are listed on the job. Start the replay again once the cause is fixed.")
            : Task.CompletedTask, cancellationToken);
        await AuditOnceAsync(job, "complete", "erasure-replay.complete", AuditActions.Success, new JsonObject
        {
            ["tombstones"] = job.Counts.Total,
            ["removedAgain"] = job.Counts.Purged,
            ["objectVersionsDeleted"] = job.Counts.VersionsDeleted,
            ["keysShreddedAgain"] = job.Counts.PurgedByStore.GetValueOrDefault(ErasureReplayWorkflow.Keys),
        }, cancellationToken);
        return state;
    }
}
