using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// Complete: the job is done and its erasure lock ends in the same write; before that, every job of the subject forgets its
/// free-text reason, so whoever sees the job completed finds no reason naming the person left.
/// </summary>
public sealed class CompleteStep(ErasurePorts ports) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await CurrentJobAsync(state, cancellationToken);
        await Jobs.ForgetReasonsAsync(job.TenantId, job.SubjectRef, cancellationToken);
        var completed = job.Status == JobStatus.Completed
            ? job
            : await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Complete(job.Type, JobPhases.Notify, Now), cancellationToken);
        if (completed is not { Status: JobStatus.Completed })
        {
            // Not at its notice (a step out of order): nothing is completed, and the purge's manifests stay.
            return state;
        }

        // The soft-delete's page manifests served the purge; nothing reads them once the job has completed.
        await Ports.Manifests.DeleteAsync(job.TenantId, job.Id, cancellationToken);
        await AuditOnceAsync(job, "complete", "erasure.complete", AuditActions.Success, new JsonObject { ["certificateId"] = completed.CertificateId }, cancellationToken);
        return state;
    }
}
