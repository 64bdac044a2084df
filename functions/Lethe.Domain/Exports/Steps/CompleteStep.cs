using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Policies;
using Lethe.Domain.Notifications;

namespace Lethe.Domain.Exports.Steps;

/// <summary>Complete: the export is ready; its link expires 7 days from now (divided by the tenant's local time scale).</summary>
public sealed class CompleteStep(ExportPorts ports) : ExportStep(ports)
{
    public override async Task<ExportState> RunAsync(ExportState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await CurrentJobAsync(state, cancellationToken);
        if (job.Status != JobStatus.Completed)
        {
            var tenant = await Ports.Tenants.FindAsync(job.TenantId, cancellationToken);
            var linkExpiresAt = LifecyclePolicy.Deadline(Now, LifecyclePolicy.ExportLinkLifetime, tenant?.TimeScale ?? 1);
            var done = await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Complete(job.Type, JobPhases.Package, Now, linkExpiresAt), cancellationToken);
            job = done ?? throw new JobNotActiveException($"Job {job.Id} could not complete: it is no longer packaging.");
        }

        await AuditOnceAsync(job, "complete", "export.complete", AuditActions.Success, new JsonObject
        {
            ["parts"] = job.ExportParts,
            ["items"] = job.Exported,
            ["bytes"] = job.ExportBytes,
            ["expiresAt"] = job.DownloadExpiresAt is { } expires ? AuditChain.FormatTime(expires) : null,
        }, cancellationToken);
        // An export and an audit export alike: ready to download (ids only; the link is read from the request).
        await Ports.Notices.TrySendAsync(job, NotificationEvents.ExportReady, Now, cancellationToken);
        await Requests.OverdueRequests.RaiseIfLateAsync(Jobs, Ports.Notices, Ports.Audit, job, Now, cancellationToken);
        return state with { More = false, Volume = job.ExportParts };
    }
}
