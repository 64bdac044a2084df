using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Archive;

/// <summary>What a retrieval request found: started (<see cref="Accepted"/>), or why not.</summary>
public abstract record RetrievalOutcome;

public sealed record RetrievalAccepted(Job Job, InventoryItem Item) : RetrievalOutcome;

/// <summary>The tenant's inventory has no such item.</summary>
public sealed record RetrievalItemUnknown : RetrievalOutcome;

/// <summary>The item is not archived (active, hidden, purging or purged): there is nothing to retrieve.</summary>
public sealed record RetrievalItemNotArchived(InventoryItem Item) : RetrievalOutcome;

/// <summary>A retrieval of the item is open already (restoring, or readable): the new one would only repeat it.</summary>
public sealed record RetrievalInProgress(string JobId, InventoryItem Item) : RetrievalOutcome;

/// <summary>
/// Starts archive retrievals (API.md, POST …/items/{id}/retrieve). One is open per item at a time: the job takes the item's lock
/// in the transaction that stores it, so a second request while one is open names the open one and stores nothing.
/// </summary>
public sealed class ArchiveRetrievalRequests(IJobStore jobs, IErasureInventory inventory, IWorkflowStarter workflows, TimeProvider clock)
{
    /// <summary>The S3 restore tiers a request may name (Expedited is not offered: Deep Archive has none).</summary>
    public static readonly IReadOnlyList<string> Tiers = ["Standard", "Bulk"];

    public async Task<RetrievalOutcome> SubmitAsync(Tenant tenant, string itemId, string tier, string requestedBy, string role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var item = await inventory.FindAsync(tenant.Id, itemId, cancellationToken);
        if (item is null)
        {
            return new RetrievalItemUnknown();
        }

        if (item.State != ItemState.Archived)
        {
            return new RetrievalItemNotArchived(item);
        }

        var now = clock.GetUtcNow();
        var job = new Job
        {
            Id = Job.NewId(now),
            TenantId = tenant.Id,
            Type = JobType.ArchiveRetrieval,
            SubjectRef = item.SubjectRef ?? RequestService.TenantWideSubject,
            ItemId = item.ItemId,
            RetrievalTier = tier,
            Status = JobStatus.Queued,
            Phase = JobPhases.Validate,
            CreatedAt = now,
            UpdatedAt = now,
            RequestedBy = requestedBy,
            RequestedByRole = role,
        };
        switch (await jobs.CreateAsync(job, null, cancellationToken))
        {
            case JobCreated created:
                return new RetrievalAccepted(await workflows.StartCurrentAsync(jobs, created.Job, cancellationToken), item);
            case ErasureAlreadyOpen open:
                return new RetrievalInProgress(open.JobId, item);
            default:
                throw new InvalidOperationException("An archive retrieval job could not be stored.");
        }
    }
}
