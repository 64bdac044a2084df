using System.Text.Json;

namespace Lethe.Api.Endpoints;

public sealed record SubmitRequestBody(string? Type, string? SubjectId, string? Reason, string? Format);

public sealed record ProgressView(long Total, long Processed, long Failed, int Percent);

/// <summary>
/// A job's counts; <c>archived</c> is a retention sweep's (items moved to their archive tier), <c>masked</c> an erasure's records
/// kept as masked copies (not in <c>purged</c>); both 0 for other jobs.
/// </summary>
public sealed record CountsView(long Total, long SoftDeleted, long Purged, long Failed, long Restored, long Held, long Archived, long Masked);

public sealed record JobErrorView(string ItemId, string Message, DateTimeOffset At);

public sealed record JobView(
    string Id, string TenantId, string Type, string? SubjectId, string SubjectRef, string Status, string Phase, ProgressView Progress,
    DateTimeOffset? Eta, IReadOnlyList<JobErrorView> Errors, CountsView Counts, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt, DateTimeOffset? PurgeAt, DateTimeOffset? Deadline, string? CertificateId, string ExecutionName, string? Reason, string? Format,
    DownloadView? Download)
{
    /// <summary>A backup scrub: the deletion or retention run it supplements (null for every other type).</summary>
    public string? SourceJobId { get; init; }

    /// <summary>Past its deadline without being done (API.md, Deadlines); false for jobs without a deadline.</summary>
    public bool Overdue { get; init; }

    /// <summary>The approval decision, for a request submitted under an approval policy (null until one is made).</summary>
    public DecisionView? Decision { get; init; }

    /// <summary>
    /// A deletion's categories whose records it masks rather than deletes (the tenant's erasure settings when it was submitted),
    /// so an approver sees that copies will be kept; empty for every other job.
    /// </summary>
    public IReadOnlyList<string> MaskedCategories { get; init; } = [];
}

/// <summary>A presigned URL of one export volume (valid at most 5 minutes), for callers that asked for it with <c>redirect=false</c>.</summary>
public sealed record DownloadLink(string Url, DateTimeOffset ExpiresAt, int Part, int Parts);

/// <summary>Where an export is downloaded, until when, and in how many volumes (<c>?part=1…parts</c>).</summary>
public sealed record DownloadView(string Url, DateTimeOffset? ExpiresAt, int Parts, long Bytes);

public sealed record DownloadAuditDetails(string RequestId, string SubjectRef, int Part, int Parts);

public sealed record JobPage(IReadOnlyList<JobView> Items, string? NextCursor);

public sealed record RestoreResult(string RequestId, long Restored);

public sealed record ItemRestored(string ItemId, string State);

public sealed record CertificateResponse(JsonElement Certificate, string Payload, string Signature, string Algorithm, string KeyId);

public sealed record CertificateList(IReadOnlyList<CertificateResponse> Items);

public sealed record RequestAuditDetails(string RequestId, string Type, string SubjectRef, string Status);

public sealed record ItemRestoreAuditDetails(string ItemId, string? RequestId);

public sealed record RestoreAuditDetails(string RequestId, string SubjectRef, long Restored);
