namespace Lethe.Domain.Jobs;

/// <summary>
/// Every way a job moves, by name. Each is a conditional write: it applies only from the statuses (and phases) it names, so a
/// late, replayed or superseded writer never moves a job backwards, and two writers racing for one move cannot both win.
/// </summary>
public static class JobTransitions
{
    private static readonly IReadOnlyList<JobStatus> Open = [JobStatus.Queued, JobStatus.Running];
    private static readonly IReadOnlyList<JobStatus> Running = [JobStatus.Running];
    private static readonly IReadOnlyList<JobStatus> Awaiting = [JobStatus.AwaitingApproval];


    /// <summary>
    /// An approver lets a request waiting for approval run: it is queued (its execution starts next), an erasure's recovery
    /// window counted from now (<paramref name="purgeAt"/>).
    /// </summary>
    public static JobUpdate Approve(string approver, DateTimeOffset? purgeAt, DateTimeOffset at) =>
        new(Awaiting, at) { Status = JobStatus.Queued, PurgeAt = purgeAt, Decision = new JobDecision(true, approver, at, null) };

    /// <summary>An approver refuses a request waiting for approval: it ends denied, never having run; an erasure's lock ends with it.</summary>
    public static JobUpdate Deny(JobType type, string approver, string reason, DateTimeOffset at) =>
        new(Awaiting, at) { Status = JobStatus.Denied, CompletedAt = at, Decision = new JobDecision(false, approver, at, reason), ReleaseErasureLock = JobTypes.Locks(type) };

    /// <summary>
    /// The request is past its deadline (the daily check found it unfinished, or it completed late): marked once (the one
    /// <c>request.overdue</c>).
    /// </summary>
    public static JobUpdate MarkOverdue(DateTimeOffset at) =>
        new([JobStatus.AwaitingApproval, JobStatus.Queued, JobStatus.Running, JobStatus.Failed, JobStatus.Completed], at) { MarkOverdue = true };

    /// <summary>The first step of a workflow takes the job (queued, or running after a retry) from its first phase to the next.</summary>
    public static JobUpdate Start(string fromPhase, string toPhase, DateTimeOffset at, long? total = null) =>
        new(Open, at) { WhenPhase = [fromPhase], Status = JobStatus.Running, Phase = toPhase, Total = total };

    /// <summary>A running job moves from the phase a step follows to the next one.</summary>
    public static JobUpdate Advance(string fromPhase, string toPhase, DateTimeOffset at) =>
        new(Running, at) { WhenPhase = [fromPhase], Status = JobStatus.Running, Phase = toPhase };

    /// <summary>The recovery window is over: the purge begins (its first time is kept), unless a cancel won the race.</summary>
    public static JobUpdate BeginPurge(DateTimeOffset at) =>
        new(Running, at) { WhenPhase = [JobPhases.RecoveryWindow], Phase = JobPhases.Purge, MarkPurgeStarted = true };

    /// <summary>A legal hold pauses a running erasure in one of <paramref name="fromPhases"/>; it waits in <c>held</c>.</summary>
    public static JobUpdate PauseForHold(IReadOnlyList<string> fromPhases, DateTimeOffset at) =>
        new(Running, at) { WhenPhase = fromPhases, Phase = JobPhases.Held };

    /// <summary>
    /// The subject's last hold was released: the erasure resumes in a fresh execution, in its soft-delete (window still open)
    /// or from the first page of its purge (whose outcome is counted again).
    /// </summary>
    public static JobUpdate ResumeFromHold(bool inPurge, DateTimeOffset at) =>
        new(Running, at)
        {
            WhenPhase = [JobPhases.Held],
            Phase = inPurge ? JobPhases.Purge : JobPhases.SoftDelete,
            MarkPurgeStarted = inPurge,
            ResetPurge = inPurge,
            NextExecution = true,
        };

    /// <summary>An archive retrieval's item is readable: the job waits in <c>readable</c> until <paramref name="until"/>.</summary>
    public static JobUpdate Readable(DateTimeOffset until, DateTimeOffset at) =>
        new(Running, at) { WhenPhase = [JobPhases.Restore], Phase = JobPhases.Readable, DownloadExpiresAt = until };

    /// <summary>
    /// An offboarding's final export is packaged: it waits in <c>download-window</c> until <paramref name="until"/>, downloadable
    /// by a platform admin, then purges.
    /// </summary>
    public static JobUpdate OpenDownloadWindow(DateTimeOffset until, DateTimeOffset at) =>
        new(Running, at) { WhenPhase = [JobPhases.Package], Phase = JobPhases.DownloadWindow, DownloadExpiresAt = until };

    /// <summary>A running job moves to <paramref name="toPhase"/> from whichever of <paramref name="fromPhases"/> it is in.</summary>
    public static JobUpdate AdvanceFromAny(IReadOnlyList<string> fromPhases, string toPhase, DateTimeOffset at) =>
        new(Running, at) { WhenPhase = fromPhases, Status = JobStatus.Running, Phase = toPhase };

    /// <summary>A running job names its signed certificate.</summary>
    public static JobUpdate AttachCertificate(string certificateId, DateTimeOffset at) => new(Running, at) { CertificateId = certificateId };

    /// <summary>A job ends completed from its last phase; an erasure's lock on its subject ends in the same write.</summary>
    public static JobUpdate Complete(JobType type, string fromPhase, DateTimeOffset at, DateTimeOffset? downloadExpiresAt = null) =>
        new(Running, at)
        {
            WhenPhase = [fromPhase],
            Status = JobStatus.Completed,
            Phase = JobPhases.Done,
            CompletedAt = at,
            DownloadExpiresAt = downloadExpiresAt,
            ReleaseErasureLock = JobTypes.Locks(type),
        };

    /// <summary>An open job ends failed with the reason; an erasure's lock ends with it.</summary>
    public static JobUpdate Fail(JobType type, string message, DateTimeOffset at) =>
        new(Open, at) { Status = JobStatus.Failed, Error = new JobError("-", message, at), ReleaseErasureLock = JobTypes.Locks(type) };

    /// <summary>
    /// An open job is cancelled: through the API (<paramref name="whenPhase"/> limits an erasure to the phases before its purge),
    /// or because its execution was stopped where a cancel was allowed.
    /// </summary>
    public static JobUpdate Cancel(JobType type, IReadOnlyList<string>? whenPhase, DateTimeOffset at) =>
        new(Open, at) { WhenPhase = whenPhase, Status = JobStatus.Cancelled, CompletedAt = at, ReleaseErasureLock = JobTypes.Locks(type) };

    /// <summary>
    /// The cancel of <paramref name="job"/> as it stands (<see cref="Job.IsCancellable"/>), conditional on the phases it may be
    /// cancelled in, so a job that moved on meanwhile is left running: the API's cancel, and an offboarding's drain.
    /// </summary>
    public static JobUpdate CancelNow(Job job, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(job);
        IReadOnlyList<string>? whenPhase = job.Type switch
        {
            JobType.Deletion => job.IsHeldBeforePurge ? [JobPhases.Held] : JobPhases.Cancellable,
            JobType.RetentionSweep or JobType.KeyRotation or JobType.TenantOffboarding => [JobPhases.Validate],
            JobType.ArchiveRetrieval => [JobPhases.Validate, JobPhases.Restore],
            _ => null,
        };
        // A failed request is closed (it holds no lock any more: its failure released it); anything else is cancelled while
        // it has not ended, an approval it waits for included.
        return job.Status == JobStatus.Failed
            ? new([JobStatus.Failed], at) { WhenPhase = whenPhase, Status = JobStatus.Cancelled, CompletedAt = at }
            : new(job.Status == JobStatus.AwaitingApproval ? Awaiting : Open, at)
            {
                // From the status it was read in: a cancel that raced an approval does not cancel the request just approved.
                WhenPhase = whenPhase, Status = JobStatus.Cancelled, CompletedAt = at, ReleaseErasureLock = JobTypes.Locks(job.Type),
            };
    }

    /// <summary>A failed job runs again because its execution was redriven (in the console); an erasure takes its lock again.</summary>
    public static JobUpdate Redrive(JobType type, DateTimeOffset at) =>
        new([JobStatus.Failed], at) { Status = JobStatus.Running, AcquireErasureLock = JobTypes.Locks(type) };

    /// <summary>A failed backup scrub runs again from its start in <c>{jobId}-{n+1}</c>, its counts taken afresh (it holds no lock).</summary>
    public static JobUpdate RetryScrub(DateTimeOffset at) =>
        new([JobStatus.Failed], at) { Status = JobStatus.Running, Phase = JobPhases.Validate, ResetPurge = true, Total = 0, NextExecution = true };

    /// <summary>
    /// A failed export whose connectors did not all confirm calls them again in <c>{jobId}-{n+1}</c> (nothing was collected yet);
    /// the write's own condition (still failed, still in that phase) decides a race of two retries.
    /// </summary>
    public static JobUpdate RetryConnectors(DateTimeOffset at) =>
        new([JobStatus.Failed], at) { WhenPhase = [JobPhases.Connectors], Status = JobStatus.Running, NextExecution = true };

    /// <summary>
    /// A page loop restarted from its first page (its execution was lost and the reconciler started a fresh one without a
    /// cursor): the counts of the earlier pages are cleared, so nothing is counted twice.
    /// </summary>
    public static JobUpdate Recount(string phase, DateTimeOffset at) =>
        new(Running, at) { WhenPhase = [phase], ResetPurge = true, Total = 0 };

    /// <summary>
    /// A failed erasure is retried in <c>{jobId}-{n+1}</c>: from its purge when it had reached it (its outcome counted again),
    /// else from the start; its lock is taken again in the same write.
    /// </summary>
    public static JobUpdate Retry(bool fromPurge, DateTimeOffset at) =>
        new([JobStatus.Failed], at)
        {
            Status = JobStatus.Running,
            Phase = fromPurge ? JobPhases.Purge : JobPhases.Validate,
            AcquireErasureLock = true,
            ResetPurge = true,
            NextExecution = true,
        };
}
