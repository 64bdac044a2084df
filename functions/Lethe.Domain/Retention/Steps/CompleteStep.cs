using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Retention.Steps;

/// <summary>
/// Complete: later runs start at this run's day (every earlier day bucket is swept; what this run left waits in the deferred
/// bucket), then the job is completed and the tenant's sweep lock ends in the same write; the page manifests go.
/// </summary>
public sealed class CompleteStep(RetentionPorts ports) : RetentionStep(ports)
{
    public override async Task<RetentionSweepState> RunAsync(RetentionSweepState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await CurrentJobAsync(state, cancellationToken);
        if (job.Status != JobStatus.Completed)
        {
            if (!JobStatuses.IsOpen(job.Status))
            {
                throw new JobNotActiveException($"Job {job.Id} is {JobStatuses.Name(job.Status)}; it cannot complete.");
            }

            await Ports.Due.CompleteThroughAsync(job.TenantId, job.CreatedAt, cancellationToken);
            job = await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Complete(job.Type, JobPhases.Certify, Now), cancellationToken)
                ?? throw new JobNotActiveException($"Job {job.Id} could not complete: it is no longer certifying.");
        }

        await Ports.Manifests.DeleteAsync(job.TenantId, job.Id, cancellationToken);
        await AuditOnceAsync(job, "complete", "retention.complete", AuditActions.Success, new JsonObject
        {
            ["purged"] = job.Counts.Purged,
            ["skippedUnderHold"] = job.Counts.Held,
            ["failed"] = job.Counts.Failed,
            ["certificateId"] = job.CertificateId,
        }, cancellationToken);
        return state;
    }
}
