using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.KeyRotation.Steps;

/// <summary>What the key rotation's steps share on top of the kernel: their ports, the tenant, and conditional tenant saves.</summary>
public abstract class KeyRotationStep(KeyRotationPorts ports)
    : WorkflowStep<KeyRotationState>(KeyRotationWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    protected KeyRotationPorts Ports { get; } = ports;

    /// <summary>
    /// Applies <paramref name="change"/> to the tenant as stored now, conditional on the version read (a concurrent settings
    /// change is re-read and kept, never undone). <paramref name="change"/> returns null when nothing is left to change.
    /// </summary>
    protected Task<Tenant> ChangeTenantAsync(Job job, Func<Tenant, Tenant?> change, CancellationToken cancellationToken) =>
        TenantChanges.ApplyAsync(Ports.Tenants, job.TenantId, job.Id, change, cancellationToken);
}
