using System.Text;
using System.Text.Json.Nodes;
using Lethe.Domain.Canonical;

namespace Lethe.Domain.Jobs;

public enum JobType
{
    Deletion,
    Export,
    AuditExport,
    RetentionSweep,
    ArchiveRetrieval,
    BackupScrub,
    ErasureReplay,
    KeyRotation,
    TenantOffboarding,

    /// <summary>One upload through the ingest pipeline (workflows/ingest.asl.json), started when its object was scanned clean.</summary>
    Ingest,
}

public static class JobTypes
{
    public static string Name(JobType type) => type switch
    {
        JobType.Deletion => "deletion",
        JobType.Export => "export",
        JobType.AuditExport => "audit-export",
        JobType.RetentionSweep => "retention-sweep",
        JobType.ArchiveRetrieval => "archive-retrieval",
        JobType.BackupScrub => "backup-scrub",
        JobType.ErasureReplay => "erasure-replay",
        JobType.KeyRotation => "key-rotation",
        JobType.TenantOffboarding => "tenant-offboarding",
        JobType.Ingest => "ingest",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static JobType? Parse(string? value) => value switch
    {
        "deletion" => JobType.Deletion,
        "export" => JobType.Export,
        "audit-export" => JobType.AuditExport,
        "retention-sweep" => JobType.RetentionSweep,
        "archive-retrieval" => JobType.ArchiveRetrieval,
        "backup-scrub" => JobType.BackupScrub,
        "erasure-replay" => JobType.ErasureReplay,
        "key-rotation" => JobType.KeyRotation,
        "tenant-offboarding" => JobType.TenantOffboarding,
        "ingest" => JobType.Ingest,
        _ => null,
    };

    /// <summary>The workflow (workflows/{name}.asl.json) that runs a job of this type: audit exports share the export machinery.</summary>
    public static string Workflow(JobType type) => type switch
    {
        JobType.Deletion => "deletion",
        JobType.RetentionSweep => "retention-sweep",
        JobType.ArchiveRetrieval => "archive-retrieval",
        JobType.BackupScrub => "backup-scrub",
        JobType.ErasureReplay => "erasure-replay",
        JobType.KeyRotation => "key-rotation",
        JobType.TenantOffboarding => "tenant-offboarding",
        JobType.Ingest => "ingest",
        _ => "export",
    };

    /// <summary>
    /// Jobs that hold a lock while open (in the same writes that open and close them): an erasure its subject's, a retention
    /// sweep its tenant's (under the tenant-wide subject ref), an archive retrieval its item's, an erasure replay its tenant's
    /// replay lock, a key rotation its tenant's rotation lock, so two never run at once.
    /// </summary>
    public static bool Locks(JobType type) => type is JobType.Deletion or JobType.RetentionSweep or JobType.ArchiveRetrieval or JobType.ErasureReplay or JobType.KeyRotation or JobType.TenantOffboarding;

    /// <summary>
    /// The name of the lock an open job holds: its subject ref (an erasure's lock is what every write for the subject checks),
    /// or, for a retrieval, its item (<c>retrieval:{itemId}</c>, never a subject ref, which is hex).
    /// </summary>
    public static string LockName(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Type switch
        {
            JobType.ArchiveRetrieval => $"retrieval:{job.ItemId}",
            // One replay per tenant at a time, beside (not against) its retention sweep's tenant-wide lock.
            JobType.ErasureReplay => "erasure-replay",
            JobType.KeyRotation => "key-rotation",
            JobType.TenantOffboarding => "tenant-offboarding",
            _ => job.SubjectRef,
        };
    }

    /// <summary>Jobs that end in a download.</summary>
    public static bool IsExport(JobType type) => type is JobType.Export or JobType.AuditExport;
}

public enum JobStatus
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,

    /// <summary>A deletion or export under a tenant's approval policy: no execution yet, its deadline clock running.</summary>
    AwaitingApproval,

    /// <summary>Refused by an approver (with a reason); it never ran.</summary>
    Denied,
}

/// <summary>Progress of a job; counters move only with the page that earns them (atomic ADD in the store).</summary>
public sealed record JobProgress(long Total, long Processed, long Failed)
{
    public static JobProgress None { get; } = new(0, 0, 0);

    /// <summary>Whole percent of items done (processed or failed); 0 while the total is unknown, 100 only when all are done.</summary>
    public int Percent => Total <= 0 ? 0 : (int)Math.Min(100, (Processed + Failed) * 100 / Total);

    /// <summary>
    /// The estimated completion from the rate measured since <paramref name="startedAt"/>; null until something was processed
    /// (no rate yet) or when everything is done.
    /// </summary>
    public DateTimeOffset? Eta(DateTimeOffset startedAt, DateTimeOffset now)
    {
        var done = Processed + Failed;
        var elapsed = now - startedAt;
        if (done <= 0 || Total <= done || elapsed <= TimeSpan.Zero)
        {
            return null;
        }

        var perItem = elapsed / done;
        return now + (perItem * (Total - done));
    }
}

/// <summary>A data subject request as a client submits it (API.md, Requests).</summary>
public sealed record RequestSubmission(string? Type, string? SubjectId, string? Reason, string? Format)
{
    public const int MaxReasonLength = 1000;

    public static readonly IReadOnlyList<string> ExportFormats = ["zip", "json", "csv", "pdf"];

    /// <summary>Every bad field, keyed by name; empty when the submission can become a job.</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        if (Type is not ("deletion" or "export"))
        {
            errors["type"] = ["type is deletion or export."];
        }

        if (!Tenancy.SubjectId.IsValid(SubjectId))
        {
            errors["subjectId"] = ["A subject id of 1–128 characters of [A-Za-z0-9._@:-] is required."];
        }

        if (Reason is { Length: > MaxReasonLength })
        {
            errors["reason"] = [$"A reason is at most {MaxReasonLength} characters."];
        }

        if (Type == "deletion" && Format is not null)
        {
            errors["format"] = ["format applies to export requests only."];
        }
        else if (Type == "export" && Format is not null && !ExportFormats.Contains(Format, StringComparer.Ordinal))
        {
            errors["format"] = ["format is zip, json or csv."];
        }

        return errors;
    }

    /// <summary>The submission with its defaults applied (export format zip), as idempotency compares it.</summary>
    public RequestSubmission WithDefaults() => Type == "export" ? this with { Format = Format ?? "zip" } : this;

    /// <summary>
    /// API.md: "the same body" is the same RFC 8785 canonical JSON with defaults applied. Absent optional fields are left out,
    /// so {} and {"reason":null} are the same body.
    /// </summary>
    public string CanonicalBody()
    {
        var body = new JsonObject();
        var withDefaults = WithDefaults();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                body[name] = value;
            }
        }

        Add("type", withDefaults.Type);
        Add("subjectId", withDefaults.SubjectId);
        Add("reason", withDefaults.Reason);
        Add("format", withDefaults.Format);
        using var document = System.Text.Json.JsonDocument.Parse(body.ToJsonString());
        return CanonicalJson.Serialize(document.RootElement);
    }

    /// <summary>The stored fingerprint of the body: keyed (HMAC) under the tenant's secret, so it reveals no subject id.</summary>
    public string Fingerprint(Crypto.SubjectKek tenantSecret) => Crypto.SubjectRef.Keyed(tenantSecret, "request-body", CanonicalBody());
}

public static class JobStatuses
{
    public static string Name(JobStatus status) => status switch
    {
        JobStatus.AwaitingApproval => "awaiting-approval",
        _ => status.ToString().ToLowerInvariant(),
    };

    public static JobStatus? Parse(string? name) => name switch
    {
        "queued" => JobStatus.Queued,
        "running" => JobStatus.Running,
        "completed" => JobStatus.Completed,
        "failed" => JobStatus.Failed,
        "cancelled" => JobStatus.Cancelled,
        "awaiting-approval" => JobStatus.AwaitingApproval,
        "denied" => JobStatus.Denied,
        _ => null,
    };

    /// <summary>Queued or running: a job with (or about to have) an execution, which reconciliation looks after.</summary>
    public static bool IsOpen(JobStatus status) => status is JobStatus.Queued or JobStatus.Running;

    /// <summary>Open, or waiting for its approval: nothing has ended it yet (an offboarding drains these; a cancel may end them).</summary>
    public static bool IsUnfinished(JobStatus status) => IsOpen(status) || status == JobStatus.AwaitingApproval;

    /// <summary>
    /// Which moves a job may make. Terminal states never change (a late status event must not reopen a job); a failed job may
    /// run again only through retry.
    /// </summary>
    public static bool CanMove(JobStatus from, JobStatus to, bool retry = false) => (from, to) switch
    {
        (JobStatus.Queued, JobStatus.Running or JobStatus.Cancelled or JobStatus.Failed) => true,
        (JobStatus.Running, JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled) => true,
        (JobStatus.Failed, JobStatus.Running) => retry,
        (JobStatus.AwaitingApproval, JobStatus.Queued or JobStatus.Denied or JobStatus.Cancelled) => true,
        // A failed request an admin gives up on (before any purge) is closed: it no longer pauses approvals.
        (JobStatus.Failed, JobStatus.Cancelled) => true,
        _ => false,
    };
}
