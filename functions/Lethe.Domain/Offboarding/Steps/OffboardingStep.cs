using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Policies;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Offboarding.Steps;

/// <summary>What the offboarding's steps share on top of the kernel: their ports, the tenant, its time scale, conditional tenant saves.</summary>
public abstract class OffboardingStep(TenantOffboardingPorts ports)
    : WorkflowStep<TenantOffboardingState>(TenantOffboardingWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    protected TenantOffboardingPorts Ports { get; } = ports;

    protected async Task<Tenant> TenantAsync(Job job, CancellationToken cancellationToken) =>
        await Ports.Tenants.FindAsync(job.TenantId, cancellationToken) ?? throw new JobNotActiveException($"Tenant {job.TenantId} of job {job.Id} does not exist.");

    /// <summary>A policy duration on the tenant's clock (DESIGN.md's time model), never under a second.</summary>
    protected static TimeSpan Scaled(TimeSpan policy, Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var scaled = LifecyclePolicy.Scaled(policy, tenant.TimeScale);
        return scaled < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : scaled;
    }

    /// <summary>Applies <paramref name="change"/> to the tenant as stored now, conditional on the version read; null: nothing to change.</summary>
    protected Task<Tenant> ChangeTenantAsync(Job job, Func<Tenant, Tenant?> change, CancellationToken cancellationToken) =>
        TenantChanges.ApplyAsync(Ports.Tenants, job.TenantId, job.Id, change, cancellationToken);

    /// <summary>The tenant accepts writes again (a drain that could not finish): nothing of it was deleted.</summary>
    protected Task<Tenant> ReactivateAsync(Job job, CancellationToken cancellationToken) =>
        ChangeTenantAsync(job, t => t.State == TenantState.Offboarding ? t with { State = TenantState.Active } : null, cancellationToken);
}
