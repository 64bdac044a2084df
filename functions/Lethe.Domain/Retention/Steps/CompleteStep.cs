using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Notifications;

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
        var job = await CompleteOnceAsync(state, JobPhases.Certify, open => Ports.Due.CompleteThroughAsync(open.TenantId, open.CreatedAt, cancellationToken), cancellationToken);
        await Ports.Manifests.DeleteAsync(job.TenantId, job.Id, cancellationToken);
        await AuditOnceAsync(job, "complete", "retention.complete", AuditActions.Success, new JsonObject
        {
            ["purged"] = job.Counts.Purged,
            ["skippedUnderHold"] = job.Counts.Held,
            ["failed"] = job.Counts.Failed,
            ["certificateId"] = job.CertificateId,
        }, cancellationToken);
        await Ports.Notices.TrySendAsync(job, NotificationEvents.RetentionRun, Now, cancellationToken);
        return state;
    }
}
