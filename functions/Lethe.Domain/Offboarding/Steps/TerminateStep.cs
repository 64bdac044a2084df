using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Notifications;

namespace Lethe.Domain.Offboarding.Steps;

/// <summary>
/// Terminate: the tenant becomes <c>terminated</c> (410 everywhere, but for a platform admin's read of this request and its
/// certificates), its backup scrub starts (the offboarding's deletion is owed one like any other), and the job completes with
/// its lock ending in the same write. The notice that follows carries ids and the key action only.
/// </summary>
public sealed class TerminateStep(TenantOffboardingPorts ports) : OffboardingStep(ports)
{
    public override async Task<TenantOffboardingState> RunAsync(TenantOffboardingState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        Tenant? tenant = null;
        var job = await CompleteOnceAsync(state, JobPhases.Certify, async open =>
        {
            // The scrub first: a failure to start it leaves the tenant offboarding, so the offboarding can run again.
            await Ports.Scrubs.StartAsync(open, cancellationToken);
            // Its staff's addresses go with it (they were the tenant's to keep); their subscriptions are removed below.
            tenant = await ChangeTenantAsync(
                open, t => t.State == TenantState.Terminated ? null : t with { State = TenantState.Terminated, Requests = t.Requests with { NotificationEmails = [] } }, cancellationToken);
            await AuditOnceAsync(open, "terminate", "tenant-offboarding.complete", AuditActions.Success, new JsonObject
            {
                ["certificateId"] = open.CertificateId,
                ["itemsDeleted"] = open.Counts.Purged,
                ["objectVersionsDeleted"] = open.Counts.VersionsDeleted,
                ["tenantKey"] = TenantKeyActions.Of(tenant),
            }, cancellationToken);
        }, cancellationToken);
        tenant ??= await TenantAsync(job, cancellationToken);
        if (!SubscriptionChange.For(tenant).IsEmpty)
        {
            try
            {
                await Ports.Subscriptions.StartAsync(tenant.Id, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The tenant is terminated either way; a replay of this step (or an operator) starts it again.
            }
        }

        // To the platform's operators, ids and the key's fate only: a BYOK tenant must delete its own key.
        await Ports.Notices.TrySendAsync(
            new Notification(job.TenantId, NotificationEvents.TenantOffboarded, job.Id, Now)
            {
                Ids = new Dictionary<string, string>(StringComparer.Ordinal) { ["certificateId"] = job.CertificateId ?? "-", ["tenantKey"] = TenantKeyActions.Of(tenant) },
            },
            cancellationToken);
        return state with { CertificateId = job.CertificateId, TenantKeyAction = TenantKeyActions.Of(tenant), More = false, HandOver = false };
    }
}
