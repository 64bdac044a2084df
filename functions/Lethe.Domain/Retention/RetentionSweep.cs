using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Policies;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Retention;

/// <summary>
/// The state carried between the retention sweep's steps (workflows/retention-sweep.asl.json): ids, the page loop's cursor,
/// whether the page just selected holds items; never data. The sweep's moment ("as of") is the job's creation time, stored on
/// the job, so every execution of one run agrees on what is due.
/// </summary>
public sealed record RetentionSweepState(string TenantId, string JobId, int Execution) : IPagedWorkflowState
{
    public string? Resume { get; init; }

    /// <summary>Where the next page of due items starts (opaque to the Domain).</summary>
    public string? Cursor { get; init; }

    /// <summary>The last page selected (its manifest holds the items), from 1.</summary>
    public long Page { get; init; }

    public int PagesInExecution { get; init; }

    public int PageSize { get; init; } = RetentionSweepWorkflow.PageSize;

    public int PagesPerExecution { get; init; } = WorkflowPaging.DefaultPagesPerExecution;

    /// <summary>The page just selected holds items for PurgePage.</summary>
    public bool Selected { get; init; }

    /// <summary>Another page follows.</summary>
    public bool More { get; init; }

    /// <summary>This execution has done its share of pages: a fresh one continues from <see cref="Cursor"/>.</summary>
    public bool HandOver { get; init; }

    public static RetentionSweepState From(WorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new RetentionSweepState(input.TenantId, input.JobId, input.Execution)
        {
            Resume = input.Resume,
            Cursor = input.Cursor,
            Page = input.Page,
            PageSize = Math.Clamp(input.PageSize, 1, RetentionSweepWorkflow.PageSize),
            PagesPerExecution = Math.Max(1, input.PagesPerExecution),
        };
    }
}

/// <summary>
/// The inventory as the retention sweep reads it: due items from the <c>byExpiry</c> index (sharded day buckets after the
/// tenant's last completed sweep, and the bucket of items an earlier run had to leave), never a scan. A port.
/// </summary>
public interface IRetentionInventory
{
    /// <summary>
    /// Up to <paramref name="limit"/> items due at <paramref name="asOf"/> (retainUntil before it; active, left purging by a
    /// failed purge, or hidden by an erasure or a single delete), from <paramref name="cursor"/> on; the same cursor gives the same page while nothing moves them. A null
    /// next cursor: none are left.
    /// </summary>
    Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> DuePageAsync(string tenantId, DateTimeOffset asOf, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Items this run leaves (their subject is held, its erasure is open, another job hid them, or their purge failed) move to the bucket every
    /// later run reads first, placed after <paramref name="asOf"/> so this run does not read them again.
    /// </summary>
    Task DeferAsync(string tenantId, IReadOnlyList<InventoryItem> items, DateTimeOffset asOf, CancellationToken cancellationToken);

    /// <summary>Whether anything of the subject is still stored (active, hidden, purging or archived).</summary>
    Task<bool> HasItemsLeftAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);

    /// <summary>
    /// Records that every day bucket before the day of <paramref name="asOf"/> has been swept, so later runs start there; it
    /// never moves back.
    /// </summary>
    Task CompleteThroughAsync(string tenantId, DateTimeOffset asOf, CancellationToken cancellationToken);
}

/// <summary>Shreds the KEK of a subject that has nothing left. A port (KMS + the Keys table).</summary>
public interface IRetentionKeyShredder
{
    /// <summary>
    /// Deletes the subject's KEK and directory entry unless something was written for the subject at or after
    /// <paramref name="quietSince"/> (checked in the delete's own transaction: a write that just happened may not show in the
    /// subject index yet). Returns the destroyed KEK's id, or null when nothing was shredded.
    /// </summary>
    Task<string?> ShredIfQuietAsync(string tenantId, string subjectRef, DateTimeOffset quietSince, CancellationToken cancellationToken);
}

/// <summary>
/// One subject's due items of one archiving category, to be archived by one sweep page. <paramref name="Attempt"/> names the page
/// (run, execution, page) so that a replay writes to the same place.
/// </summary>
public sealed record ArchiveBatch(
    Tenant Tenant,
    string SubjectRef,
    string Category,
    ArchiveRule Rule,
    IReadOnlyList<InventoryItem> Items,
    string JobId,
    string Attempt,
    DateTimeOffset ArchivedAt,
    DateTimeOffset ArchivedUntil);

/// <summary>What an archive did: the ids archived now, and the ids that failed with why (both retried by a later run).</summary>
public sealed record ArchiveOutcome(IReadOnlyList<string> Archived, IReadOnlyList<(string ItemId, string Failure)> Failed);

/// <summary>
/// Moves due items of archiving categories to their archive tier. A port (S3 and the Records and Inventory tables). Files get
/// the <c>lethe:tier</c> tag the data bucket's lifecycle rules act on; records are written, still field-encrypted, into one
/// archived object (of the tier's storage class) and leave the Records table. Each item's move is conditional on it being
/// active and its subject not held, in the move's own transaction.
/// </summary>
public interface IRetentionArchiver
{
    /// <exception cref="LegalHoldException">A hold names the subject: what was not archived yet stays as it was.</exception>
    Task<ArchiveOutcome> ArchiveAsync(ArchiveBatch batch, CancellationToken cancellationToken);
}

/// <summary>The ports the retention sweep's steps work through (the purge moves are the erasure's own).</summary>
public sealed record RetentionPorts(
    IJobStore Jobs,
    IRetentionInventory Due,
    IErasureInventory Inventory,
    IErasureManifests Manifests,
    IDataPurger Purger,
    IRetentionArchiver Archiver,
    IRetentionKeyShredder Keys,
    IHoldCheck Holds,
    IAuditJournal Audit,
    IAuditChainStore Chain,
    IEvidenceSigner Signer,
    ICertificateStore Certificates,
    BackupScrub.IBackupScrubStarter Scrubs,
    ITenantRepository Tenants,
    TimeProvider Clock)
{
    /// <summary>Where the workflow's notices go (its completion, a failure); the composition sets the real port.</summary>
    public Notifications.INotifications Notices { get; init; } = Notifications.NotificationsOff.Instance;

    /// <summary>
    /// How long after the subject's last write a subject with nothing left may have its KEK shredded: longer than an index
    /// takes to show a write (DynamoDB's GSIs lag by well under a second; the local cloud's not at all).
    /// </summary>
    public TimeSpan ShredQuietPeriod { get; init; } = RetentionSweepWorkflow.DefaultShredQuietPeriod;

    /// <summary>Subjects of a page swept at once (their moves are independent); in-memory test ports take one at a time.</summary>
    public int SubjectConcurrency { get; init; } = 4;
}

/// <summary>workflows/retention-sweep.asl.json as the kernel sees it.</summary>
public static class RetentionSweepWorkflow
{
    public static readonly AuditActor Actor = new("lethe-retention-sweep", "system");

    /// <summary>Due items per page: one manifest and a few transactions, well inside a Lambda call.</summary>
    public const int PageSize = 500;

    public static readonly TimeSpan DefaultShredQuietPeriod = TimeSpan.FromMinutes(10);

    public static WorkflowDefinition Definition { get; } = new("retention-sweep", [JobType.RetentionSweep], Actor, "retention")
    {
        HandOverPhases = [JobPhases.Sweep],
        // A restart in sweep selects from the start again: what earlier executions purged has left the index, and page marks
        // are kept per execution, so nothing is counted twice or dropped.
        RestartPhases = [JobPhases.Validate, JobPhases.Sweep],
    };
}
