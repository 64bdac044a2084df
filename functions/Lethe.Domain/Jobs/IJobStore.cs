namespace Lethe.Domain.Jobs;

/// <summary>The outcome of storing a new job together with its idempotency reservation and erasure lock.</summary>
public abstract record JobCreation;

/// <summary>The job was written (and its key reserved, and its subject locked, in the same transaction).</summary>
public sealed record JobCreated(Job Job) : JobCreation;

/// <summary>The key was already used with the same body: the job it names.</summary>
public sealed record JobReplayed(Job Job) : JobCreation;

/// <summary>The key was already used with another body.</summary>
public sealed record IdempotencyConflict(string JobId) : JobCreation;

/// <summary>The subject already has an open erasure.</summary>
public sealed record ErasureAlreadyOpen(string JobId) : JobCreation;

/// <summary>The idempotency reservation stored with a job: the key's hash, the body's fingerprint, and when the key is forgotten.</summary>
public sealed record IdempotencyReservation(string KeyHash, string Fingerprint, DateTimeOffset ExpiresAt);

/// <summary>A written export volume: its number, the items and bytes in it, and the inventory position the next one starts after.</summary>
public sealed record ExportVolumeRecord(int Volume, long Items, long Bytes, string? Cursor, bool More, DateTimeOffset At);

public sealed record JobQuery(JobStatus? Status, JobType? Type, string? SubjectRef, string? Cursor, int Limit)
{
    /// <summary>Only requests past their deadline (true) or not (false) at <see cref="Now"/>; null: both.</summary>
    public bool? Overdue { get; init; }

    /// <summary>Only jobs whose deadline is before this time.</summary>
    public DateTimeOffset? DueBefore { get; init; }

    public DateTimeOffset Now { get; init; }
}

/// <summary>
/// A conditional change of a job: applied only while the job is in one of <see cref="WhenStatus"/> (and, when given, one of
/// <see cref="WhenPhase"/>), so late or replayed writers cannot move a job backwards. Made only by the named transitions of
/// <see cref="JobTransitions"/>; the store reads it.
/// </summary>
public sealed record JobUpdate
{
    internal JobUpdate(IReadOnlyList<JobStatus> whenStatus, DateTimeOffset at)
    {
        WhenStatus = whenStatus;
        At = at;
    }

    public IReadOnlyList<JobStatus> WhenStatus { get; }

    public DateTimeOffset At { get; }

    public IReadOnlyList<string>? WhenPhase { get; internal init; }

    public JobStatus? Status { get; internal init; }

    public string? Phase { get; internal init; }

    public DateTimeOffset? CompletedAt { get; internal init; }

    public string? CertificateId { get; internal init; }

    /// <summary>Sets the number of items the job will process (an export's collect step).</summary>
    public long? Total { get; internal init; }

    public DateTimeOffset? DownloadExpiresAt { get; internal init; }

    public JobError? Error { get; internal init; }

    /// <summary>Ends the subject's erasure lock in the same write (the job leaves the open states).</summary>
    public bool ReleaseErasureLock { get; internal init; }

    /// <summary>Takes the subject's erasure lock again in the same write (retry of a failed erasure).</summary>
    public bool AcquireErasureLock { get; internal init; }

    /// <summary>Records, once, that the purge has started (<see cref="Job.PurgeStartedAt"/>; later writes keep the first time).</summary>
    public bool MarkPurgeStarted { get; internal init; }

    /// <summary>Clears the purge outcome (counters, errors, page marks) for a retry pass.</summary>
    public bool ResetPurge { get; internal init; }

    /// <summary>Raises the execution number by one (a retry starts <c>{jobId}-{n+1}</c>).</summary>
    public bool NextExecution { get; internal init; }

    /// <summary>Sets the end of an erasure's recovery window (counted from its approval when it waited for one).</summary>
    public DateTimeOffset? PurgeAt { get; internal init; }

    /// <summary>Records the approver's decision.</summary>
    public JobDecision? Decision { get; internal init; }

    /// <summary>Marks the request overdue at <see cref="At"/>, once: applies only while it was not marked before.</summary>
    public bool MarkOverdue { get; internal init; }
}

/// <summary>Jobs and their idempotency reservations and erasure locks (one table, so they change together). A port.</summary>
public interface IJobStore
{
    Task<JobCreation> CreateAsync(Job job, IdempotencyReservation? reservation, CancellationToken cancellationToken);

    Task<Job?> FindAsync(string tenantId, string jobId, CancellationToken cancellationToken);

    Task<(IReadOnlyList<Job> Items, string? NextCursor)> ListAsync(string tenantId, JobQuery query, CancellationToken cancellationToken);

    /// <summary>The id of the subject's open erasure, if any (record writes answer 409 meanwhile).</summary>
    Task<string?> OpenErasureAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);

    /// <summary>Applies the update if its conditions hold; returns the job after it, or null when they did not.</summary>
    Task<Job?> TryUpdateAsync(string tenantId, string jobId, JobUpdate update, CancellationToken cancellationToken);

    /// <summary>
    /// Adds what page <paramref name="page"/> of <paramref name="phase"/> earned, once: the write is conditional on the page not
    /// being recorded yet, so a replayed page moves no counter. Returns false for a replay.
    /// </summary>
    Task<bool> RecordPageAsync(string tenantId, string jobId, string phase, long page, ErasureCounts earned, IReadOnlyList<JobError> errors, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Records export volume <paramref name="volume"/>.<see cref="ExportVolumeRecord.Volume"/> once: conditional on it being the next
    /// volume of a running job, so a replayed or late invocation changes nothing. Returns false then.
    /// </summary>
    Task<bool> RecordVolumeAsync(string tenantId, string jobId, ExportVolumeRecord volume, CancellationToken cancellationToken);

    /// <summary>
    /// Raises the execution number from <paramref name="current"/> to current+1 (a hand-over of a running job's page loop, in one
    /// of <paramref name="fromPhases"/>: its workflow's hand-over phases); false if another writer did, or the job is no longer
    /// running in those phases (paused by a hold, cancelled).
    /// </summary>
    Task<bool> AdvanceExecutionAsync(string tenantId, string jobId, int current, IReadOnlyList<string> fromPhases, CancellationToken cancellationToken);

    /// <summary>Records the ARN of execution <paramref name="execution"/> (if it is still the current one), seen running now.</summary>
    Task SetExecutionArnAsync(string tenantId, string jobId, int execution, string executionArn, CancellationToken cancellationToken);

    /// <summary>Records that execution <paramref name="execution"/> (if it is still the current one) was running at <paramref name="at"/>.</summary>
    Task MarkExecutionSeenAsync(string tenantId, string jobId, int execution, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the free-text reason from every job of the subject (its erasure completed): what a requester wrote about a
    /// person goes with the person. Idempotent.
    /// </summary>
    Task ForgetReasonsAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);

    /// <summary>Open jobs (queued and running) of every tenant, for reconciliation with their executions.</summary>
    Task<IReadOnlyList<Job>> ListOpenAsync(CancellationToken cancellationToken);
}
