using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// Validate: the job is open and the subject is not held; moves the job to its soft-delete. Nothing is counted here: the
/// soft-delete pages add what they read to the total, so the subject's inventory is read once per erasure.
/// </summary>
public sealed class ValidateStep(ErasurePorts ports) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (state.Resume is JobPhases.SoftDelete or JobPhases.Purge or JobPhases.Connectors)
        {
            // A hand-over, resume or retry continues where the previous execution stopped; nothing to validate again.
            return state with { PurgeAt = Time(job.PurgeAt!.Value), PagesInExecution = 0, More = true };
        }

        if (await Ports.Holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            throw new LegalHoldException("The subject is under a legal hold: nothing of it may be deleted.");
        }

        await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.SoftDelete, Now), cancellationToken);
        await AuditOnceAsync(job, "validate", "erasure.start", AuditActions.Success, new JsonObject { ["purgeAt"] = Time(job.PurgeAt!.Value) }, cancellationToken);
        return state with { Resume = "start", PurgeAt = Time(job.PurgeAt!.Value), Cursor = null, Page = 0, PagesInExecution = 0, More = true };
    }
}
