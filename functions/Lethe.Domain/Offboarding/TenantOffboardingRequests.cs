using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Policies;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Offboarding;

/// <summary>
/// Starts the offboarding of a tenant (API.md, POST …/offboard): one at a time, as the job takes the tenant's offboarding lock
/// in the transaction that stores it (a second submission gets <see cref="ErasureOpen"/> naming the first). The job is due 90
/// days (on the tenant's time scale) after it is requested.
/// </summary>
public sealed class TenantOffboardingRequests(IJobStore jobs, IWorkflowStarter workflows, TimeProvider clock)
{
    public Task<SubmitOutcome> SubmitAsync(Tenant tenant, bool finalExport, string requestedBy, string role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var now = clock.GetUtcNow();
        return TenantJobs.SubmitAsync(jobs, workflows, tenant, JobType.TenantOffboarding, now, requestedBy, role, cancellationToken, job => job with
        {
            FinalExport = finalExport,
            Deadline = LifecyclePolicy.Deadline(now, LifecyclePolicy.TenantTerminationDeadline, tenant.TimeScale),
        });
    }
}
