using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Replay;

/// <summary>
/// Starts an erasure replay of a tenant (API.md, POST …/replay-erasures): one at a time, as the job takes the tenant's replay
/// lock in the transaction that stores it; a second submission while one is open gets <see cref="ErasureOpen"/> naming it.
/// </summary>
public sealed class ErasureReplayRequests(IJobStore jobs, IWorkflowStarter workflows, TimeProvider clock)
{
    public Task<SubmitOutcome> SubmitAsync(Tenant tenant, string requestedBy, string role, CancellationToken cancellationToken) =>
        TenantJobs.SubmitAsync(jobs, workflows, tenant, JobType.ErasureReplay, clock.GetUtcNow(), requestedBy, role, cancellationToken);
}
