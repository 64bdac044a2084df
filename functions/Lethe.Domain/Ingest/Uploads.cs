using System.Diagnostics.CodeAnalysis;

namespace Lethe.Domain.Ingest;

/// <summary>Where an upload is in the ingest pipeline (API.md: <c>pending|scanning|quarantined|processing|awaiting_review|delivered|failed</c>).</summary>
public enum UploadStatus
{
    Pending,
    Scanning,
    Quarantined,
    Processing,
    AwaitingReview,
    Delivered,
    Failed,
}

public static class UploadStatuses
{
    public static string Name(UploadStatus status) => status switch
    {
        UploadStatus.Pending => "pending",
        UploadStatus.Scanning => "scanning",
        UploadStatus.Quarantined => "quarantined",
        UploadStatus.Processing => "processing",
        UploadStatus.AwaitingReview => "awaiting_review",
        UploadStatus.Delivered => "delivered",
        UploadStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown upload status."),
    };

    /// <summary>Statuses an upload never leaves.</summary>
    public static bool IsFinal(UploadStatus status) => status is UploadStatus.Quarantined or UploadStatus.Delivered or UploadStatus.Failed;
}

/// <summary>
/// What a client declared when it asked to upload (API.md, <c>POST …/uploads</c>): the object that lands must match it (tenant,
/// size, content type) or it is rejected at ingest. The file name is the person's data as much as the content: it is kept with
/// the upload, purged by an erasure, and never audited.
/// </summary>
public sealed record UploadRequest(string SubjectId, string Category, string FileName, string ContentType, long SizeBytes);

/// <summary>The rules of an upload request (the ingest step enforces the same figures on the object).</summary>
public static class UploadRules
{
    /// <summary>The largest object accepted: what the scanner reads whole and the normalizer bounds (100 MB).</summary>
    public const long MaxBytes = 100L * 1024 * 1024;

    /// <summary>How long a presigned PUT stays valid.</summary>
    public static TimeSpan LinkLifetime { get; } = TimeSpan.FromMinutes(15);

    /// <summary>How far S3's clock and ours may differ when an object's stored time is compared with its link's expiry.</summary>
    public static TimeSpan ClockSkew { get; } = TimeSpan.FromMinutes(1);

    /// <summary>What the normalize step reads; anything else is refused before a byte is uploaded.</summary>
    public static IReadOnlyList<string> ContentTypes { get; } = ["text/plain", "text/vtt", "text/csv", "application/json", "application/zip"];

    public const int MaxFileNameLength = 255;

    /// <summary>Each field's problem, by field name; empty when the request is valid.</summary>
    public static Dictionary<string, string[]> Validate(string? subjectId, string? category, string? fileName, string? contentType, long? sizeBytes)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!Tenancy.SubjectId.IsValid(subjectId))
        {
            errors["subjectId"] = [Tenancy.SubjectId.Rule];
        }

        if (!Policies.CategoryName.IsValid(category))
        {
            errors["category"] = ["A category is 2–40 characters of [a-z0-9_], starting with a letter."];
        }

        if (!IsValidFileName(fileName))
        {
            errors["fileName"] = [$"A file name is 1–{MaxFileNameLength} characters without path separators or control characters."];
        }

        if (contentType is null || !ContentTypes.Contains(contentType, StringComparer.Ordinal))
        {
            errors["contentType"] = [$"contentType is one of: {string.Join(", ", ContentTypes)}."];
        }

        if (sizeBytes is not (> 0 and <= MaxBytes))
        {
            errors["sizeBytes"] = [$"sizeBytes is from 1 to {MaxBytes}."];
        }

        return errors;
    }

    public static bool IsValidFileName([NotNullWhen(true)] string? fileName) =>
        fileName is { Length: > 0 and <= MaxFileNameLength } && fileName.Trim().Length > 0 && fileName is not ("." or "..")
        && !fileName.Any(c => char.IsControl(c) || c is '/' or '\\' || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator);

    /// <summary>The object key of an upload in the ingest bucket: the tenant first (the bucket's policy and events see it), then the upload id.</summary>
    public static string ObjectKey(string tenantId, string uploadId) => $"{tenantId}/{uploadId}";

    /// <summary>
    /// Whether a landed object is the one declared: its key names the upload, and its size and content type are the declared
    /// ones. Why not, or null when it matches; a mismatched object is rejected, deleted and audited.
    /// </summary>
    public static string? Mismatch(UploadRequest declared, long size, string? contentType)
    {
        ArgumentNullException.ThrowIfNull(declared);
        if (size != declared.SizeBytes)
        {
            return $"the object has {size} bytes, not the {declared.SizeBytes} declared";
        }

        var type = contentType?.Split(';')[0].Trim();
        return string.Equals(type, declared.ContentType, StringComparison.Ordinal) ? null : $"the object is {type ?? "untyped"}, not the {declared.ContentType} declared";
    }
}

/// <summary>An upload as stored: what was declared, for which subject (its ref), and where it is in the pipeline.</summary>
public sealed record Upload(
    string Id, string TenantId, string SubjectRef, UploadRequest Declared, UploadStatus Status, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string CreatedBy)
{
    /// <summary>The subject's processing was restricted when the upload was asked for: it is stored without derivation.</summary>
    public bool Restricted { get; init; }

    /// <summary>The inventory item the upload became, once stored.</summary>
    public string? ItemId { get; init; }

    /// <summary>
    /// The subject's id, sealed under the subject's key (as the subject directory keeps it): the workflow stores records for the
    /// subject by its id, and an upload may be the first thing a subject has. An erasure purges it with the row and the key.
    /// </summary>
#pragma warning disable CA1819 // An envelope is bytes.
    public byte[]? SealedSubjectId { get; init; }
#pragma warning restore CA1819

    /// <summary>The ETag of the object that was scanned clean: the pipeline reads that object and no other.</summary>
    public string? ScannedETag { get; init; }

    /// <summary>The ingest job (workflows/ingest.asl.json) that processes it, once its object was scanned clean.</summary>
    public string? JobId { get; init; }

    /// <summary>Why it was quarantined, rejected or failed (never content).</summary>
    public string? Reason { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Uploads, kept as the subject's data (an erasure purges them, file names included). A port.</summary>
public interface IUploadStore
{
    /// <summary>
    /// Stores a pending upload in a transaction that checks the subject's erasure lock: an erasure open now refuses it
    /// (<see cref="Errors.ErasureInProgressException"/>), and one that starts later finds it in the inventory.
    /// </summary>
    Task CreateAsync(Upload upload, CancellationToken cancellationToken);

    /// <summary>The upload, or null when unknown, purged, or hidden by an erasure.</summary>
    Task<Upload?> FindAsync(string tenantId, string uploadId, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the upload to <see cref="UploadMove.To"/> if it is in one of <see cref="UploadMove.From"/> (and still the subject's:
    /// an erasure that hid it wins); false when it was not.
    /// </summary>
    Task<bool> TryMoveAsync(string tenantId, string uploadId, UploadMove move, CancellationToken cancellationToken);

    /// <summary>Pending uploads whose link expired before <paramref name="expiredBefore"/> (their object never arrived), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<Upload>> ListAbandonedAsync(string tenantId, DateTimeOffset expiredBefore, int limit, CancellationToken cancellationToken);
}

/// <summary>A presigned PUT into the ingest bucket: the URL, and the headers the client must send with it (they are signed).</summary>
public sealed record PresignedUpload(string Url, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>Presigns the PUT of an upload's object. A port.</summary>
public interface IUploadLinks
{
    Task<PresignedUpload> PresignPutAsync(Upload upload, CancellationToken cancellationToken);
}
