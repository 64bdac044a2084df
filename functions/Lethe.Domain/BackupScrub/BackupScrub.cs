using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.BackupScrub;

/// <summary>
/// The state carried between the backup scrub's steps (workflows/backup-scrub.asl.json): ids, the moment its Wait state waits
/// for, and the page loop's cursor over the source job's tombstones; never data.
/// </summary>
public sealed record BackupScrubState(string TenantId, string JobId, int Execution) : IPagedWorkflowState
{
    public string? Resume { get; init; }

    /// <summary>When the tombstone index has caught up with the purge and the scrub reads it (the WaitForIndex state's timestamp).</summary>
    public string? ScrubAt { get; init; }

    /// <summary>The keys are scrubbed already (a restart after the scrub goes straight to the window).</summary>
    public bool Scrubbed { get; init; }

    /// <summary>When every backup and PITR window from before the deletion has ended (the WaitForBackupWindow state's timestamp).</summary>
    public string? WaitUntil { get; init; }

    /// <summary>Where the next page of tombstones starts (opaque to the Domain).</summary>
    public string? Cursor { get; init; }

    public long Page { get; init; }

    public int PagesInExecution { get; init; }

    public int PageSize { get; init; } = BackupScrubWorkflow.PageSize;

    public int PagesPerExecution { get; init; } = WorkflowPaging.DefaultPagesPerExecution;

    /// <summary>Another page of tombstones follows.</summary>
    public bool More { get; init; }

    /// <summary>This execution has done its share of pages: a fresh one continues from <see cref="Cursor"/>.</summary>
    public bool HandOver { get; init; }

    public static BackupScrubState From(WorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BackupScrubState(input.TenantId, input.JobId, input.Execution)
        {
            Resume = input.Resume,
            Cursor = input.Cursor,
            Page = input.Page,
            PageSize = Math.Clamp(input.PageSize, 1, BackupScrubWorkflow.PageSize),
            PagesPerExecution = Math.Max(1, input.PagesPerExecution),
        };
    }
}

/// <summary>
/// The deletion tombstones of one job: the inventory items it purged (kept, with where their data was, so a scrub and a replay
/// after a restore know every key). A port (the Inventory table's <c>byPurger</c> index).
/// </summary>
public interface IDeletionTombstones
{
    /// <summary>Up to <paramref name="limit"/> items that <paramref name="jobId"/> purged, from <paramref name="cursor"/> on; a null next cursor: none are left.</summary>
    Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> PurgedByAsync(string tenantId, string jobId, string? cursor, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// What scrubbing a page of purged keys did: object keys gone over, versions deleted in the data buckets and copies in the
/// replica, and what failed.
/// </summary>
public sealed record ObjectScrubOutcome(long Keys, long Versions, long ReplicaVersions, IReadOnlyList<(string ItemId, string Failure)> Failed);

/// <summary>
/// Deletes whatever is left of purged objects: every version and delete marker of each purged key (an archived object still
/// pointed at by live items excepted), and every copy of it in the replica bucket, where one is configured. A port (S3).
/// </summary>
public interface IObjectScrubber
{
    /// <summary>Whether a replica bucket is configured (the certificate says so).</summary>
    bool HasReplica { get; }

    Task<ObjectScrubOutcome> ScrubAsync(string tenantId, IReadOnlyList<InventoryItem> purged, CancellationToken cancellationToken);
}

/// <summary>One table's backups as the scrub checks them: point-in-time recovery and its recovery period in days.</summary>
public sealed record TableBackupWindow(string Table, bool PointInTimeRecovery, int RecoveryPeriodDays);

/// <summary>
/// What the backups of Lethe's tables hold: each table's PITR window, and the on-demand backups created before a moment (they
/// never expire by themselves, so each outlives a deletion unless someone deletes it).
/// </summary>
public sealed record BackupReport(IReadOnlyList<TableBackupWindow> Tables, IReadOnlyList<string> BackupsBefore)
{
    public int LongestRecoveryDays => Tables.Where(t => t.PointInTimeRecovery).Select(t => t.RecoveryPeriodDays).DefaultIfEmpty(0).Max();

    /// <summary>Tables whose PITR window is longer than the backup-scrub period allows.</summary>
    public IReadOnlyList<TableBackupWindow> TooLong(int maxDays) => Tables.Where(t => t.PointInTimeRecovery && t.RecoveryPeriodDays > maxDays).ToList();
}

/// <summary>Reads the backup settings and backups of Lethe's tables. A port (DynamoDB DescribeContinuousBackups, ListBackups).</summary>
public interface IBackupInspector
{
    Task<BackupReport> InspectAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken);
}

/// <summary>The ports the backup scrub's steps work through.</summary>
public sealed record BackupScrubPorts(
    IJobStore Jobs,
    IDeletionTombstones Tombstones,
    IObjectScrubber Objects,
    IBackupInspector Backups,
    IAuditJournal Audit,
    IAuditChainStore Chain,
    IEvidenceSigner Signer,
    ICertificateStore Certificates,
    ITenantRepository Tenants,
    TimeProvider Clock)
{
    /// <summary>Where the workflow's notices go (its completion, a failure); the composition sets the real port.</summary>
    public Notifications.INotifications Notices { get; init; } = Notifications.NotificationsOff.Instance;
}

/// <summary>workflows/backup-scrub.asl.json as the kernel sees it.</summary>
public static class BackupScrubWorkflow
{
    public static readonly AuditActor Actor = new("lethe-backup-scrub", "system");

    /// <summary>Tombstones per page: one listing of their folders and a few DeleteObjects calls per bucket.</summary>
    public const int PageSize = 1000;

    /// <summary>No backup or PITR window may keep deleted data longer than this after the deletion (DESIGN.md).</summary>
    public const int MaxBackupDays = 30;

    /// <summary>How long after the purge the tombstone index (a GSI, lagging by well under a second) is read: a minute, scaled.</summary>
    public static readonly TimeSpan IndexSettle = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How soon after the backup window the final check must run for the deadline to count as met: a check on day 60 (after a
    /// backup that outlived the deletion was removed by hand) proves nothing about day 30.
    /// </summary>
    public static readonly TimeSpan CheckTolerance = TimeSpan.FromDays(1);

    /// <summary>The least <see cref="CheckTolerance"/> becomes on a fast time scale: how late a step after a Wait can start under load.</summary>
    public static readonly TimeSpan MinimumCheckTolerance = TimeSpan.FromMinutes(1);

    /// <summary>A scrub's job counts versions per place (its <c>PurgedByStore</c>): the data buckets, and the replica.</summary>
    public const string DataVersions = "versions";
    public const string ReplicaVersions = "replicaVersions";

    public static WorkflowDefinition Definition { get; } = new("backup-scrub", [JobType.BackupScrub], Actor, "backup-scrub")
    {
        HandOverPhases = [JobPhases.Scrub],
        // A restart in scrub pages from the first tombstone again (its counts cleared): deleting what is gone deletes nothing.
        RestartPhases = [JobPhases.Validate, JobPhases.Scrub, JobPhases.BackupWindow],
    };

    /// <summary>The certificate a source job ends with, which the scrub supplements.</summary>
    public static string? SourceCertificateType(JobType type) => type switch
    {
        JobType.Deletion => "deletion",
        JobType.RetentionSweep => RetentionCertificate.Type,
        JobType.TenantOffboarding => TenantOffboardingCertificate.Type,
        _ => null,
    };
}

/// <summary>A table keeps point-in-time backups longer than 30 days: deleted data would outlive the promise.</summary>
public sealed class BackupWindowTooLongException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.BackupWindowTooLong";
}

/// <summary>An on-demand backup taken before the deletion still exists after the window: it holds what was deleted.</summary>
public sealed class BackupOutlivesDeletionException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.BackupOutlivesDeletion";
}

/// <summary>The job the scrub supplements has no certificate (yet), or keys of it could not be scrubbed.</summary>
public sealed class ScrubSourceException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.ScrubSource";
}
