using System.Text;
using Lethe.Domain.Audit;
using Lethe.Domain.BackupScrub;
using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;

namespace Lethe.Domain.Replay;

/// <summary>
/// The state carried between the erasure replay's steps (workflows/erasure-replay.asl.json): ids and the page loop's cursor
/// (<see cref="ReplayCursor"/>, one opaque string so a hand-over carries it like any other loop's); never data.
/// </summary>
public sealed record ErasureReplayState(string TenantId, string JobId, int Execution) : IPagedWorkflowState
{
    public string? Resume { get; init; }

    public string? Cursor { get; init; }

    public long Page { get; init; }

    public int PagesInExecution { get; init; }

    public int PageSize { get; init; } = ErasureReplayWorkflow.PageSize;

    public int PagesPerExecution { get; init; } = WorkflowPaging.DefaultPagesPerExecution;

    /// <summary>Another page follows.</summary>
    public bool More { get; init; }

    /// <summary>This execution has done its share of pages: a fresh one continues from <see cref="Cursor"/>.</summary>
    public bool HandOver { get; init; }

    public static ErasureReplayState From(WorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ErasureReplayState(input.TenantId, input.JobId, input.Execution)
        {
            Resume = input.Resume,
            Cursor = input.Cursor,
            Page = input.Page,
            PageSize = Math.Clamp(input.PageSize, 1, ErasureReplayWorkflow.PageSize),
            PagesPerExecution = Math.Max(1, input.PagesPerExecution),
        };
    }
}

/// <summary>
/// Where a replay stands: which kind of completed job it walks (erasures, then retention runs), where that listing continues,
/// the job whose tombstones it is reading, where they continue, and how many of that job's tombstones it has read so far.
/// </summary>
public sealed record ReplayCursor(JobType Walking, string? JobsCursor, string? SourceJobId, string? TombstonesCursor, long SourceTombstones = 0)
{
    public static ReplayCursor Start { get; } = new(JobType.Deletion, null, null, null);

    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join(
        '\n', JobTypes.Name(Walking), JobsCursor ?? "", SourceJobId ?? "", TombstonesCursor ?? "", SourceTombstones.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    public static ReplayCursor Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return Start;
        }

        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor)).Split('\n');
        static string? Field(string value) => value.Length == 0 ? null : value;
        return parts.Length == 5 && JobTypes.Parse(parts[0]) is JobType.Deletion or JobType.RetentionSweep
            && long.TryParse(parts[4], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var read)
            ? new ReplayCursor(JobTypes.Parse(parts[0])!.Value, Field(parts[1]), Field(parts[2]), Field(parts[3]), read)
            : throw new FormatException("Not a replay cursor.");
    }
}

/// <summary>What deleting a page of tombstones' data again found: the ids whose data was back, object versions, and failures.</summary>
public sealed record ReplayOutcome(IReadOnlyList<string> RemovedAgain, IReadOnlyDictionary<string, long> RemovedByStore, long Versions, IReadOnlyList<(string ItemId, string Failure)> Failed);

/// <summary>
/// Deletes again what a tombstone says was purged, if a restore brought it back: a table item found in its table (and its
/// history rows from before the purge), every version of an object. Only tombstones that are still purged
/// by <c>sourceJobId</c> when read consistently count (the index may lag; newer data may have taken a key over), and a row is
/// deleted only in a transaction that checks its tombstone still says so. A port (DynamoDB and S3).
/// </summary>
public interface IReplayPurger
{
    Task<ReplayOutcome> RemoveAgainAsync(string tenantId, string sourceJobId, IReadOnlyList<InventoryItem> tombstones, CancellationToken cancellationToken);
}

/// <summary>Deletes a subject's KEK again when a restore brought back the very key an erasure shredded. A port (the Keys table).</summary>
public interface IKekReshredder
{
    /// <summary>True when the subject's stored KEK was <paramref name="kekId"/> and is now deleted again (with its directory entry).</summary>
    Task<bool> ReshredAsync(string tenantId, string subjectRef, string kekId, CancellationToken cancellationToken);
}

/// <summary>The ports the erasure replay's steps work through.</summary>
public sealed record ErasureReplayPorts(
    IJobStore Jobs,
    IDeletionTombstones Tombstones,
    IReplayPurger Purger,
    IKekReshredder Keys,
    ICertificateStore Certificates,
    IAuditJournal Audit,
    TimeProvider Clock)
{
    /// <summary>Where the workflow's notices go (its completion, a failure); the composition sets the real port.</summary>
    public Notifications.INotifications Notices { get; init; } = Notifications.NotificationsOff.Instance;
}

/// <summary>workflows/erasure-replay.asl.json as the kernel sees it.</summary>
public static class ErasureReplayWorkflow
{
    public static readonly AuditActor Actor = new("lethe-erasure-replay", "system");

    /// <summary>Tombstones per page (one consistent read of their rows, one purge batch).</summary>
    public const int PageSize = 500;

    /// <summary>Item ids an audit event of a page names (the job's counters hold the totals).</summary>
    public const int NamedPerPage = 100;

    /// <summary>The job's <c>PurgedByStore</c> entry that counts KEKs shredded again.</summary>
    public const string Keys = "keys";

    public static WorkflowDefinition Definition { get; } = new("erasure-replay", [JobType.ErasureReplay], Actor, "erasure-replay")
    {
        HandOverPhases = [JobPhases.Replay],
        // Deleting what is gone already deletes nothing: a restart walks from the first job again.
        RestartPhases = [JobPhases.Validate, JobPhases.Replay],
    };
}

/// <summary>Items a replay could not delete again: listed on the job, which fails so the restore is not taken as clean.</summary>
public sealed class ReplayIncompleteException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.ReplayIncomplete";
}
