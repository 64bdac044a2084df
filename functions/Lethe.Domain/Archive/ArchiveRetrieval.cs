using Lethe.Domain.Audit;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Archive;

/// <summary>
/// The state carried between the archive retrieval's steps (workflows/archive-retrieval.asl.json): ids and the two moments its
/// Wait states wait for (RFC 3339), never data. The item and the tier are on the job.
/// </summary>
public sealed record ArchiveRetrievalState(string TenantId, string JobId, int Execution) : IWorkflowState
{
    /// <summary>When CheckRestore looks again (the WaitForRestore state's timestamp).</summary>
    public string? CheckAt { get; init; }

    /// <summary>S3 has restored the object: it can be read.</summary>
    public bool Restored { get; init; }

    /// <summary>How often CheckRestore has looked so far.</summary>
    public int Checks { get; init; }

    /// <summary>The end of the readable window (the WaitForWindow state's timestamp).</summary>
    public string? ReadableUntil { get; init; }

    public static ArchiveRetrievalState From(WorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ArchiveRetrievalState(input.TenantId, input.JobId, input.Execution);
    }
}

/// <summary>
/// Reads archived items back. A port (S3 RestoreObject and HeadObject; the Records and Inventory tables). An item whose object
/// is not (yet) in an archive storage class needs no restore: in AWS a file waits for the lifecycle rule until the next night.
/// </summary>
public interface IArchiveRestorer
{
    /// <summary>
    /// Asks S3 to restore the item's archived object at <paramref name="tier"/> (<c>Standard</c> or <c>Bulk</c>) for
    /// <paramref name="keepFor"/> (whole days, at least one); a restore already under way or done is fine.
    /// </summary>
    Task RequestRestoreAsync(Tenant tenant, InventoryItem item, string tier, TimeSpan keepFor, CancellationToken cancellationToken);

    /// <summary>Whether the restored copy can be read now.</summary>
    Task<bool> IsRestoredAsync(InventoryItem item, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the item readable until <paramref name="until"/>: a record is put back into the Records table from its archived
    /// object, and the item notes the window and the retrieval, conditional on it still being archived. False when it is not
    /// (an erasure hid it meanwhile, or its archive period ended): nothing is made readable.
    /// </summary>
    Task<bool> MakeReadableAsync(Tenant tenant, InventoryItem item, string jobId, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Ends the window: a record's copy leaves the Records table, and the item's note of this retrieval goes.</summary>
    Task RearchiveAsync(string tenantId, InventoryItem item, string jobId, CancellationToken cancellationToken);
}

/// <summary>The ports the archive retrieval's steps work through.</summary>
public sealed record ArchiveRetrievalPorts(IJobStore Jobs, IErasureInventory Inventory, IArchiveRestorer Archive, ITenantRepository Tenants, IAuditJournal Audit, TimeProvider Clock)
{
    /// <summary>Where the workflow's notices go (its completion, a failure); the composition sets the real port.</summary>
    public Notifications.INotifications Notices { get; init; } = Notifications.NotificationsOff.Instance;
}

/// <summary>workflows/archive-retrieval.asl.json as the kernel sees it.</summary>
public static class ArchiveRetrievalWorkflow
{
    public static readonly AuditActor Actor = new("lethe-archive-retrieval", "system");

    /// <summary>How often the restore is looked at (Glacier takes hours): hourly, on the tenant's time scale, and never more than once a second.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromHours(1);

    public static WorkflowDefinition Definition { get; } = new("archive-retrieval", [JobType.ArchiveRetrieval], Actor, "archive");
}

/// <summary>The archived item was not restored within the longest time S3 takes (48 hours, scaled), and some margin.</summary>
public sealed class RestoreTimedOutException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.RestoreTimedOut";
}

/// <summary>The job's item is not archived (gone, restored by an erasure's cancel, or purged): nothing is retrieved.</summary>
public sealed class ItemNotArchivedException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.ItemNotArchived";
}
