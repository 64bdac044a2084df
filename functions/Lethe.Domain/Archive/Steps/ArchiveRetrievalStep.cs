using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Archive.Steps;

/// <summary>What the archive retrieval's steps share on top of the kernel: their ports, the job's tenant and item.</summary>
public abstract class ArchiveRetrievalStep(ArchiveRetrievalPorts ports)
    : WorkflowStep<ArchiveRetrievalState>(ArchiveRetrievalWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    protected ArchiveRetrievalPorts Ports { get; } = ports;

    protected async Task<Tenant> TenantAsync(Job job, CancellationToken cancellationToken) =>
        await Ports.Tenants.FindAsync(job.TenantId, cancellationToken) ?? throw new JobNotActiveException($"Tenant {job.TenantId} of job {job.Id} does not exist.");

    /// <summary>The job's item as it is now (a consistent read), or null when the inventory does not know it.</summary>
    protected Task<InventoryItem?> ItemAsync(Job job, CancellationToken cancellationToken) =>
        Ports.Inventory.FindAsync(job.TenantId, job.ItemId ?? string.Empty, cancellationToken);

    /// <summary>RFC 3339 in UTC, as a Wait state's TimestampPath reads it.</summary>
    protected static string Timestamp(DateTimeOffset at) => Timestamps.Format(at);
}
