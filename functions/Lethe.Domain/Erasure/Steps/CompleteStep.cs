using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Notifications;

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
            // Not at its notice. Closed meanwhile: nothing to do. Still open in another phase: the execution must not end as if
            // it had completed the job, with the job running and its lock standing; the Catch records the failure instead.
            var current = await Jobs.FindAsync(job.TenantId, job.Id, cancellationToken);
            var where = current is null ? "gone" : $"{JobStatuses.Name(current.Status)}/{current.Phase}";
            throw current is not null && JobStatuses.IsOpen(current.Status)
                ? new InvalidOperationException($"Job {job.Id} reached Complete in {where}, not at its notice.")
                : new JobNotActiveException($"Job {job.Id} could not complete: it is {where}.");
        }

        // The soft-delete's page manifests served the purge; nothing reads them once the job has completed.
        await Ports.Manifests.DeleteAsync(job.TenantId, job.Id, cancellationToken);
        await AuditOnceAsync(job, "complete", "erasure.complete", AuditActions.Success, new JsonObject { ["certificateId"] = completed.CertificateId }, cancellationToken);
        await Ports.Notices.TrySendAsync(completed, NotificationEvents.RequestCompleted, Now, cancellationToken);
        await Requests.OverdueRequests.RaiseIfLateAsync(Jobs, Ports.Notices, Ports.Audit, completed, Now, cancellationToken);
        return state;
    }
}
