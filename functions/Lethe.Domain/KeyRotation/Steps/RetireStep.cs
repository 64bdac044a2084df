using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.KeyRotation.Steps;

/// <summary>
/// Retire: the key the tenant left. A platform key that no wrapped key and no stored object refers to any more is scheduled for
/// deletion (the longest waiting period KMS allows; unusable from now on); one that objects still need stays enabled (they are
/// sealed under it by S3) and the audit says how many; a BYOK key is the tenant's own to retire. Then the job completes and
/// the tenant's rotation lock ends in the same write.
/// </summary>
public sealed class RetireStep(KeyRotationPorts ports) : KeyRotationStep(ports)
{
    public override async Task<KeyRotationState> RunAsync(KeyRotationState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await CurrentJobAsync(state, cancellationToken);
        if (job.Status != JobStatus.Completed)
        {
            if (!JobStatuses.IsOpen(job.Status))
            {
                throw new JobNotActiveException($"Job {job.Id} is {JobStatuses.Name(job.Status)}; it cannot complete.");
            }

            var (outcome, objects) = await RetireAsync(job, cancellationToken);
            job = await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Complete(job.Type, JobPhases.Switch, Now), cancellationToken)
                ?? throw new JobNotActiveException($"Job {job.Id} could not complete: it is no longer switching.");
            await AuditOnceAsync(job, "retire", "key-rotation.complete", AuditActions.Success, new JsonObject
            {
                ["previousKey"] = job.PreviousKeyArn,
                ["previousKeyOutcome"] = outcome,
                ["objectsUnderPreviousKey"] = objects,
            }, cancellationToken);
        }

        return state;
    }

    private async Task<(string Outcome, long Objects)> RetireAsync(Job job, CancellationToken cancellationToken)
    {
        if (job.PreviousKeyArn is not { } previous || previous == job.TargetKeyArn)
        {
            return ("none", 0);
        }

        if (job.PreviousKeyByok)
        {
            return ("tenant-owned: the tenant may disable it once it needs it for nothing else", 0);
        }

        if ((await Ports.Keys.WrappedKeysAsync(job.TenantId, cancellationToken)).GetValueOrDefault(previous) is > 0 and var keys)
        {
            return ($"kept: {keys} wrapped key(s) still under it", 0);
        }

        var objects = await Ports.Retirement.ObjectsUnderAsync(job.TenantId, previous, cancellationToken);
        if (objects > 0)
        {
            return ("kept: stored objects are sealed under it", objects);
        }

        await Ports.Retirement.ScheduleDeletionAsync(previous, cancellationToken);
        return ("deletion-scheduled", 0);
    }
}
