using Lethe.Domain.Audit;
using Lethe.Domain.Crypto;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Notifications;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Ingest;

/// <summary>
/// The state carried between the ingest workflow's steps (workflows/ingest.asl.json): ids and decisions, never content. The
/// upload is the job's item.
/// </summary>
public sealed record IngestState(string TenantId, string JobId, int Execution) : IWorkflowState
{
    /// <summary>The stored content's record (set by Store).</summary>
    public string? RecordId { get; init; }

    /// <summary>The derived insight's record (set by Derive; null when derivation was skipped).</summary>
    public string? InsightId { get; init; }

    /// <summary>The evidence pack's record (set by PackEvidence).</summary>
    public string? PackId { get; init; }

    /// <summary>The review's id (set by RequestReview).</summary>
    public string? ReviewId { get; init; }

    /// <summary>The task token of RequestReview (<c>$$.Task.Token</c>): the reviews API answers it.</summary>
    public string? TaskToken { get; init; }

    public static IngestState From(WorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new IngestState(input.TenantId, input.JobId, input.Execution);
    }
}

/// <summary>The ports the ingest workflow's steps work through.</summary>
public sealed record IngestPorts(
    IJobStore Jobs, IUploadStore Uploads, IIngestObjects Objects, ITenantRepository Tenants, RecordService Records, IRecordStore RecordStore,
    IKeyHierarchy Keys, Connectors.ISubjectIds Subjects, IConsentStore Consents, IRestrictionStore Restrictions, IInsightModel Model, IReviewStore Reviews,
    Connectors.ITaskCallbacks Callbacks, IAuditJournal Audit, TimeProvider Clock)
{
    public INotifications Notices { get; init; } = NotificationsOff.Instance;
}

/// <summary>workflows/ingest.asl.json as the kernel sees it.</summary>
public static class IngestWorkflow
{
    public static readonly AuditActor Actor = new("lethe-ingest", "system");

    /// <summary>
    /// The kernel's failure message (the error's name and its message, never a stack trace) is also the upload's reason; our
    /// messages name lines and limits, never content.
    /// </summary>
    public static WorkflowDefinition Definition { get; } = new("ingest", [JobType.Ingest], Actor, "ingest");

    /// <summary>What the insight and evidence records are filed under (their own categories, with their own retention).</summary>
    public const string InsightCategory = "insight";
    public const string EvidenceCategory = "evidence_pack";

    /// <summary>The visibility of what waits for review: staff only, until a reviewer approves.</summary>
    public const string PendingVisibility = "staff_only";

    /// <summary>The visibility an approved insight is promoted to: the subject and the coach see it.</summary>
    public const string ApprovedVisibility = "shared";

    /// <summary>The visibility stored content gets: the coach's, never the subject's until shared on purpose.</summary>
    public const string ContentVisibility = "coach_only";

    /// <summary>The HKDF purpose of the tenant's pseudonym key (derived from its subject-ref key).</summary>
    public const string PseudonymPurpose = "pseudonyms";

    /// <summary>The record id an upload's content, insight or pack gets: fixed by the upload, so a step that runs twice writes once.</summary>
    public static string RecordIdFor(string uploadId, string part) => $"rec_{part}{uploadId["upl_".Length..]}";
}

/// <summary>The evidence pack failed its L2 cross-check: the item stops before approval, with the problems on the upload.</summary>
public sealed class EvidencePackInvalidException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.EvidencePackInvalid";

    public override string ErrorType => Name;
}

/// <summary>A pseudonymized text still held a value the PII detector finds: it does not reach the model.</summary>
public sealed class PseudonymizationLeakException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.PseudonymizationLeak";

    public override string ErrorType => Name;
}

public enum ReviewStatus
{
    Pending,
    Approved,
    Rejected,
}

/// <summary>
/// A human review of a derived insight (DESIGN.md, approve): the workflow waits on <see cref="TaskToken"/> until a reviewer
/// approves (with edits, each kept as before and after) or rejects (with a reason). The review is the subject's data: an
/// erasure purges it.
/// </summary>
public sealed record Review(string Id, string TenantId, string UploadId, string JobId, string SubjectRef, string InsightId, ReviewStatus Status, DateTimeOffset CreatedAt)
{
    public string? TaskToken { get; init; }

    public string? DecidedBy { get; init; }

    public DateTimeOffset? DecidedAt { get; init; }

    public string? Reason { get; init; }

    /// <summary>The reviewer's edits by field: the value before and after.</summary>
    public IReadOnlyDictionary<string, ReviewEdit> Edits { get; init; } = new Dictionary<string, ReviewEdit>(StringComparer.Ordinal);

    public static string IdFor(string uploadId) => $"rev_{uploadId["upl_".Length..]}";

    public static string Name(ReviewStatus status) => status switch
    {
        ReviewStatus.Pending => "pending",
        ReviewStatus.Approved => "approved",
        ReviewStatus.Rejected => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static ReviewStatus? Parse(string? name) => name switch
    {
        "pending" => ReviewStatus.Pending,
        "approved" => ReviewStatus.Approved,
        "rejected" => ReviewStatus.Rejected,
        _ => null,
    };
}

public sealed record ReviewEdit(string? Before, string After);

/// <summary>Reviews, kept as the subject's data. A port.</summary>
public interface IReviewStore
{
    /// <summary>
    /// Stores the pending review, or, while it is still pending, its new task token (a replayed task waits on a new one),
    /// in a transaction that checks the subject's erasure lock; false when it was decided already.
    /// </summary>
    Task<bool> PutPendingAsync(Review review, CancellationToken cancellationToken);

    Task<Review?> FindAsync(string tenantId, string reviewId, CancellationToken cancellationToken);

    Task<(IReadOnlyList<Review> Items, string? NextCursor)> ListAsync(string tenantId, ReviewStatus? status, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Records the decision if the review is still pending (and still the subject's); false when it was not.</summary>
    Task<bool> DecideAsync(Review decided, CancellationToken cancellationToken);
}
