using Lethe.Domain.Errors;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// BeginPurge, after the Wait: stops cleanly if the job was cancelled; pauses if the subject is held; otherwise moves the job to
/// its purge with a write conditional on it still being open in the recovery window, so a cancel and the purge never both win.
/// </summary>
public sealed class BeginPurgeStep(ErasurePorts ports) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken) ?? throw new JobNotActiveException($"Job {state.JobId} does not exist.");
        if (job.Status == JobStatus.Cancelled)
        {
            return state with { Cancelled = true };
        }

        job = await OpenJobAsync(state, cancellationToken);
        if (!await WaitStates.WaitOutRemainderAsync(job.PurgeAt!.Value, Clock, cancellationToken))
        {
            throw new TransientException($"The recovery window of job {job.Id} ends at {Time(job.PurgeAt.Value)}; it is not over yet.");
        }

        if (await Ports.Holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            return await PauseForHoldAsync(job, state, cancellationToken);
        }

        if (job.Phase != JobPhases.Purge && await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.BeginPurge(Now), cancellationToken) is null)
        {
            var current = await Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken);
            if (current is { Status: JobStatus.Cancelled })
            {
                return state with { Cancelled = true };
            }

            if (current is not { Status: JobStatus.Running, Phase: JobPhases.Purge })
            {
                throw new JobNotActiveException($"Job {state.JobId} cannot start its purge from {current?.Status}/{current?.Phase}.");
            }
        }

        return state with { Cursor = null, Page = 0, More = true, Cancelled = false };
    }
}
