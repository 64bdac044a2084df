using System.Security.Cryptography;

namespace Lethe.Domain.Jobs;

/// <summary>The phases a job walks through (API.md <c>phase</c>); each phase counts its own progress.</summary>
public static class JobPhases
{
    public const string Validate = "validate";
    public const string SoftDelete = "soft-delete";
    public const string RecoveryWindow = "recovery-window";
    public const string Purge = "purge";

    /// <summary>A legal hold placed during the recovery window or the purge: paused until the subject's last hold is released.</summary>
    public const string Held = "held";
    public const string Shred = "shred";

    /// <summary>An erasure waits for the tenant's connectors (its other systems) to confirm, before its own purge (API.md, connectors).</summary>
    public const string Connectors = "connectors";
    public const string Certify = "certify";
    public const string Notify = "notify";
    public const string Collect = "collect";
    public const string Package = "package";

    /// <summary>A retention sweep's page loop over the due items.</summary>
    public const string Sweep = "sweep";

    /// <summary>An archive retrieval waits for S3 to restore the item's object, then keeps it readable until its window ends.</summary>
    public const string Restore = "restore";
    public const string Readable = "readable";
    public const string Done = "done";

    /// <summary>An ingest job's steps (workflows/ingest.asl.json), in order; <see cref="Review"/> waits for a reviewer.</summary>
    public const string Normalize = "normalize";
    public const string Store = "store";
    public const string Derive = "derive";
    public const string Evidence = "evidence";
    public const string Review = "review";
    public const string Deliver = "deliver";

    public static readonly IReadOnlyList<string> IngestSteps = [Normalize, Store, Derive, Evidence, Review, Deliver, Done];

    /// <summary>A backup scrub deletes what is left of the purged keys, then waits until no PITR window from before the deletion is left, then certifies.</summary>
    public const string Scrub = "scrub";
    public const string BackupWindow = "backup-window";

    /// <summary>An erasure replay walks the tenant's completed erasures and retention runs, deleting again what a restore brought back.</summary>
    public const string Replay = "replay";

    /// <summary>A key rotation rewraps every wrapped key under the new tenant key, switches the tenant, then retires the old key.</summary>
    public const string Rewrap = "rewrap";
    public const string Switch = "switch";

    /// <summary>
    /// A tenant offboarding waits for the tenant's other jobs to close (cancelling those it may), packages the optional final
    /// export and keeps it downloadable for its window, then purges (<see cref="Purge"/>), shreds the tenant keys (<see cref="Shred"/>)
    /// and certifies (<see cref="Certify"/>).
    /// </summary>
    public const string Drain = "drain";
    public const string DownloadWindow = "download-window";

    /// <summary>Cancel is allowed until the purge starts (DESIGN.md): in these phases, and only while the job is open.</summary>
    public static readonly IReadOnlyList<string> Cancellable = [Validate, SoftDelete, RecoveryWindow];
}

/// <summary>An item that could not be processed after retries, listed on the job for manual review.</summary>
public sealed record JobError(string ItemId, string Message, DateTimeOffset At);

/// <summary>What an erasure did so far, per item outcome. Counters move only with the page that earns them.</summary>
public sealed record ErasureCounts(long Total, long SoftDeleted, long Purged, long Failed, long Restored, long Held)
{
    private static readonly IReadOnlyDictionary<string, long> Nothing = new Dictionary<string, long>(StringComparer.Ordinal);

    public static ErasureCounts None { get; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>
    /// The certificate's tally: purged items per category and per store, added in the same conditional page write that earns
    /// them, so the certificate never re-reads (or trusts) an eventually consistent index.
    /// </summary>
    public IReadOnlyDictionary<string, long> PurgedByCategory { get; init; } = Nothing;

    public IReadOnlyDictionary<string, long> PurgedByStore { get; init; } = Nothing;

    /// <summary>Object versions the purge deleted (every version of every purged file).</summary>
    public long VersionsDeleted { get; init; }

    /// <summary>Items a retention sweep moved to their archive tier.</summary>
    public long Archived { get; init; }

    /// <summary>
    /// Records an erasure masked (a PII-free copy without the subject link kept, the original purged): counted apart from
    /// <see cref="Purged"/>, which they are not part of.
    /// </summary>
    public long Masked { get; init; }
}

/// <summary>An approver's decision: approved or denied, by whom (<c>sub</c>), when, and a denial's reason (free text, kept on the job only).</summary>
public sealed record JobDecision(bool Approved, string By, DateTimeOffset At, string? Reason);

/// <summary>A data subject request and everything the API shows about it (API.md, Job).</summary>
public sealed record Job
{
    public required string Id { get; init; }

    public required string TenantId { get; init; }

    public required JobType Type { get; init; }

    public required string SubjectRef { get; init; }

    /// <summary>Free text from the requester; kept on the job only, never in the audit chain, and forgotten when the subject is erased.</summary>
    public string? Reason { get; init; }

    public string? Format { get; init; }

    public required JobStatus Status { get; init; }

    public required string Phase { get; init; }

    public ErasureCounts Counts { get; init; } = ErasureCounts.None;

    public IReadOnlyList<JobError> Errors { get; init; } = [];

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When the current phase began: the ETA extrapolates the rate measured since then.</summary>
    public DateTimeOffset? PhaseStartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The end of the recovery window: the purge starts then, and restore is refused from then on.</summary>
    public DateTimeOffset? PurgeAt { get; init; }

    /// <summary>When the purge first started; never reset (a retry or a resume after a hold purges again), so cancel stays refused.</summary>
    public DateTimeOffset? PurgeStartedAt { get; init; }

    /// <summary>
    /// The request's own deadline (API.md, Deadlines): submission + the tenant's <c>requestDeadline</c> (P30D by default, scaled)
    /// for a deletion or export; the certificate says whether it was met. Other jobs carry their own policy deadline.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>The approver's decision under the tenant's approval policy; null while none was needed or made.</summary>
    public JobDecision? Decision { get; init; }

    /// <summary>When the daily overdue check found this request past its deadline (it raises <c>request.overdue</c> once).</summary>
    public DateTimeOffset? OverdueAt { get; init; }

    /// <summary>
    /// A deletion or export past its deadline without being done: completed after it, or not ended (awaiting approval, queued,
    /// running, failed) at <paramref name="now"/> after it. A cancelled or denied request owes nothing more; other jobs carry
    /// policy deadlines of their own and are never overdue in this sense.
    /// </summary>
    public bool IsOverdue(DateTimeOffset now) => Type is JobType.Deletion or JobType.Export && Deadline is { } deadline && Status switch
    {
        JobStatus.Completed => CompletedAt is { } completed && completed > deadline,
        JobStatus.Cancelled or JobStatus.Denied => false,
        _ => now > deadline,
    };

    public string? CertificateId { get; init; }

    /// <summary>Export: items packaged so far, volumes written (<c>download.parts</c>), their bytes, and where the next volume starts.</summary>
    public long Exported { get; init; }

    public int ExportParts { get; init; }

    public long ExportBytes { get; init; }

    public string? ExportCursor { get; init; }

    /// <summary>Items are left after the last recorded volume (a replayed package step answers with it).</summary>
    public bool ExportMore { get; init; }

    /// <summary>Audit export: the range of event times, <c>[from, to)</c>; open ends take the whole chain.</summary>
    public DateTimeOffset? RangeFrom { get; init; }

    public DateTimeOffset? RangeTo { get; init; }

    /// <summary>
    /// Export: the download link stops working then (7 days after completion, scaled); 410 after. Archive retrieval: the end
    /// of the item's readable window.
    /// </summary>
    public DateTimeOffset? DownloadExpiresAt { get; init; }

    /// <summary>Archive retrieval: the archived item it reads back, and the S3 restore tier (<c>Standard</c> or <c>Bulk</c>).</summary>
    public string? ItemId { get; init; }

    public string? RetrievalTier { get; init; }

    /// <summary>Backup scrub: the deletion, retention run or offboarding whose purged keys it scrubs and whose certificate it supplements.</summary>
    public string? SourceJobId { get; init; }

    /// <summary>Key rotation: the key the tenant moves to (a fresh platform key, or the tenant's own), and the key it leaves.</summary>
    public string? TargetKeyArn { get; init; }

    public bool TargetKeyByok { get; init; }

    public string? PreviousKeyArn { get; init; }

    public bool PreviousKeyByok { get; init; }

    /// <summary>A tenant offboarding packages a tenant-wide export first, downloadable by a platform admin until it purges.</summary>
    public bool FinalExport { get; init; }

    /// <summary>n of the current execution <c>{jobId}-{n}</c>; raised by a conditional write for each hand-over or retry.</summary>
    public int Execution { get; init; } = 1;

    public string? ExecutionArn { get; init; }

    /// <summary>
    /// When the current execution was last known to be running: set when it starts, and when a reconciliation looks it up
    /// alone and finds it running. It closed (if at all) after this, which bounds how long Step Functions still remembers it.
    /// </summary>
    public DateTimeOffset? ExecutionSeenAt { get; init; }

    public required string RequestedBy { get; init; }

    public string RequestedByRole { get; init; } = "service";

    /// <summary>The submitter as a keyed hash of their <c>sub</c> (the four-eyes rule compares the approver's with it); null for system jobs.</summary>
    public string? RequestedByKey { get; init; }

    /// <summary>
    /// A deletion's categories whose records are masked rather than deleted (the tenant's erasure settings when it was
    /// submitted: a request keeps the settings it was submitted under). Empty for every other job.
    /// </summary>
    public IReadOnlyList<string> MaskedCategories { get; init; } = [];

    /// <summary>The approval policy the request was submitted under (it is approved under the same one); none when it needed none.</summary>
    public Policies.ApprovalPolicy Approval { get; init; }

    public string ExecutionName => ExecutionNameOf(Id, Execution);

    public static string ExecutionNameOf(string jobId, int n) => $"{jobId}-{n}";

    public static string NewId(DateTimeOffset now) =>
        $"job_{now.ToUnixTimeMilliseconds():x12}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";

    /// <summary>Progress of the current phase (API.md <c>progress</c>).</summary>
    public JobProgress Progress => Type == JobType.RetentionSweep
        ? new JobProgress(Counts.Total, Counts.Archived + Counts.Purged + Counts.Held, Counts.Failed)
        : Type == JobType.ArchiveRetrieval
        ? new JobProgress(2, Phase switch { JobPhases.Readable => 1, JobPhases.Done => 2, _ => 0 }, 0)
        : Type == JobType.KeyRotation
        ? new JobProgress(3, Phase switch { JobPhases.Rewrap => 1, JobPhases.Switch => 2, JobPhases.Done => 3, _ => 0 }, 0)
        : Type == JobType.Ingest
        ? new JobProgress(JobPhases.IngestSteps.Count - 1, Math.Max(0, JobPhases.IngestSteps.ToList().IndexOf(Phase)), 0)
        : Type == JobType.ErasureReplay
        ? (Phase == JobPhases.Done ? new JobProgress(Counts.Total, Counts.Total - Counts.Failed, Counts.Failed) : new JobProgress(0, Counts.Total, Counts.Failed))
        : Type == JobType.BackupScrub
        ? new JobProgress(3, Phase switch { JobPhases.Scrub => 1, JobPhases.BackupWindow or JobPhases.Certify => 2, JobPhases.Done => 3, _ => 0 }, Counts.Failed)
        : Type != JobType.Deletion ? new JobProgress(Counts.Total, Exported, 0) : Phase switch
    {
        JobPhases.Validate => new JobProgress(Counts.Total, 0, 0),
        JobPhases.SoftDelete or JobPhases.RecoveryWindow => new JobProgress(Counts.Total, Counts.SoftDeleted, 0),
        _ => new JobProgress(Math.Max(0, Counts.SoftDeleted - Counts.Restored), Counts.Purged + Counts.Masked + Counts.Held, Counts.Failed),
    };

    public DateTimeOffset? Eta(DateTimeOffset now) =>
        JobStatuses.IsOpen(Status) && PhaseStartedAt is { } started && Phase is JobPhases.SoftDelete or JobPhases.Purge or JobPhases.Package ? Progress.Eta(started, now) : null;

    /// <summary>
    /// An erasure until its purge starts; an export while it runs (a cancelled export never offers a download); a retrieval until
    /// its item is readable.
    /// </summary>
    public bool IsCancellable => (JobStatuses.IsUnfinished(Status) || IsClosable) && Type switch
    {
        JobType.Deletion => JobPhases.Cancellable.Contains(Phase, StringComparer.Ordinal) || IsHeldBeforePurge,
        // Once a run purges, it runs to its certificate: a cancel would leave purges no certificate covers.
        JobType.RetentionSweep => Phase == JobPhases.Validate,
        // Once readable, it runs to its re-archive: a stopped execution would leave the copy readable until its window ends.
        JobType.ArchiveRetrieval => Phase is JobPhases.Validate or JobPhases.Restore,
        // An upload's pipeline ends by its review (approve or reject), never half-way.
        JobType.Ingest => false,
        // A scrub is owed for every deletion: nobody cancels it.
        JobType.BackupScrub => false,
        // Started by a platform admin after a restore: stopping it halfway would leave restored erased data in place.
        JobType.ErasureReplay => false,
        // Until it has begun: once keys are rewrapped, it runs to its switch.
        JobType.KeyRotation => Phase == JobPhases.Validate,
        // Until it has begun: from then on the tenant refuses writes, and a half-offboarded tenant is nobody's to keep.
        JobType.TenantOffboarding => Phase == JobPhases.Validate,
        _ => true,
    };

    /// <summary>
    /// A failed deletion or export an admin may close instead of retrying (through cancel): an erasure only if it failed before
    /// its purge started (a half-purged subject is retried, never abandoned).
    /// </summary>
    public bool IsClosable => Status == JobStatus.Failed && Type is JobType.Deletion or JobType.Export && PurgeStartedAt is null;

    /// <summary>Paused by a legal hold before its purge ever started: still cancellable.</summary>
    public bool IsHeldBeforePurge => Phase == JobPhases.Held && PurgeStartedAt is null;
}

/// <summary>
/// An idempotency key as stored: scoped to the tenant and the caller (API.md), and only as a keyed hash under the tenant's
/// secret, so neither a key that carries meaning nor the caller's <c>sub</c> (a subject id, for a subject token) leaks.
/// </summary>
public static class IdempotencyKeys
{
    public const int MaxLength = 255;
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    public static bool IsValid(string? key) => key is { Length: > 0 and <= MaxLength } && key.All(c => c is >= '!' and <= '~');

    public static string Hash(Crypto.SubjectKek tenantSecret, string caller, string key)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return Crypto.SubjectRef.Keyed(tenantSecret, "idempotency-key", $"{caller}\n{key}");
    }
}

/// <summary>What an idempotency key and its request body come to, as the job store compares them (both keyed hashes).</summary>
public sealed record IdempotencyClaim(string KeyHash, string Fingerprint)
{
    public static IdempotencyClaim For(Crypto.SubjectKek tenantSecret, string caller, string key, RequestSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        return new(IdempotencyKeys.Hash(tenantSecret, caller, key), submission.Fingerprint(tenantSecret));
    }
}
