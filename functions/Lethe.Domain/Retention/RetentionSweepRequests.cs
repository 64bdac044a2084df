using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Retention;

/// <summary>
/// Starts retention sweeps: one for a tenant on request (API.md, POST …/retention/sweep), or one for each tenant from the daily
/// schedule. One runs at a time per tenant: the job takes the tenant's sweep lock in the transaction that stores it, so a second
/// submission while one is open gets <see cref="ErasureOpen"/> naming the open run, and nothing is stored.
/// </summary>
public sealed class RetentionSweepRequests(IJobStore jobs, IWorkflowStarter workflows, TimeProvider clock)
{
    public static readonly Audit.AuditActor Schedule = new("lethe-retention-schedule", "system");

    public Task<SubmitOutcome> SubmitAsync(Tenant tenant, string requestedBy, string role, CancellationToken cancellationToken) =>
        TenantJobs.SubmitAsync(jobs, workflows, tenant, JobType.RetentionSweep, clock.GetUtcNow(), requestedBy, role, cancellationToken);

    /// <summary>The daily schedule: a sweep for each active tenant that has none open. Returns how many were started.</summary>
    public async Task<int> SubmitForEachAsync(IEnumerable<Tenant> tenants, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenants);
        var started = 0;
        var failures = new List<Exception>();
        foreach (var tenant in tenants.Where(t => t.State == TenantState.Active))
        {
            try
            {
                if (await SubmitAsync(tenant, Schedule.Sub, Schedule.Role, cancellationToken) is Accepted)
                {
                    started++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One tenant's trouble never keeps the others' runs from starting; the schedule's retry tries it again (the
                // tenants started meanwhile answer "open" then).
                failures.Add(new InvalidOperationException($"The retention sweep of tenant {tenant.Id} could not start: {ex.Message}", ex));
            }
        }

        return failures.Count == 0 ? started : throw new AggregateException($"{failures.Count} retention sweep(s) could not start ({started} did).", failures);
    }
}
