using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Notifications;
using Lethe.Domain.Policies;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Requests;

/// <summary>What became of a submission.</summary>
public abstract record SubmitOutcome;

/// <summary>A new job (202), or the job an idempotency key already named with the same body (200).</summary>
public sealed record Accepted(Job Job, bool Replayed) : SubmitOutcome;

public sealed record KeyReusedWithAnotherBody(string JobId) : SubmitOutcome;

public sealed record SubjectHeld : SubmitOutcome;

public sealed record ErasureOpen(string JobId) : SubmitOutcome;

/// <summary>What a change to an existing job came to.</summary>
public enum JobChange
{
    Done,
    NotFound,
    Conflict,
}

/// <summary>What a single item delete did.</summary>
public enum ItemDeleteOutcome
{
    Deleted,
    NotFound,
    NotActive,
    Held,
}

/// <summary>
/// Data subject requests (API.md, Requests): submit with idempotency, cancel until the purge starts, restore inside the
/// window, retry a failed erasure. The job is stored before its execution starts; a start that did not happen (a crash, an
/// outage) is made up by the next replay of the key or by reconciliation, never run twice (the execution name is fixed).
/// </summary>
public sealed class RequestService(IJobStore jobs, IWorkflowStarter workflows, IHoldCheck holds, IErasureInventory inventory, TimeProvider clock, INotifications notices)
{
    /// <param name="requestedByKey">The submitter's keyed <c>sub</c> (<see cref="Job.RequestedByKey"/>), for the four-eyes rule.</param>
    public async Task<SubmitOutcome> SubmitAsync(
        Tenant tenant, string subjectRef, RequestSubmission submission, IdempotencyClaim? idempotency, string requestedBy, string role, string? requestedByKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(submission);
        var body = submission.WithDefaults();
        var type = body.Type == "export" ? JobType.Export : JobType.Deletion;
        if (type == JobType.Deletion && await holds.IsHeldAsync(tenant.Id, subjectRef, cancellationToken))
        {
            return new SubjectHeld();
        }

        var now = clock.GetUtcNow();
        // Under an approval policy the request waits for its approver (no execution); the deadline clock runs from now either way.
        var approval = tenant.Requests.Approval;
        var job = new Job
        {
            Id = Job.NewId(now),
            TenantId = tenant.Id,
            Type = type,
            SubjectRef = subjectRef,
            Reason = body.Reason,
            Format = body.Format,
            Status = approval == ApprovalPolicy.None ? JobStatus.Queued : JobStatus.AwaitingApproval,
            Phase = type == JobType.Deletion ? JobPhases.Validate : JobPhases.Collect,
            CreatedAt = now,
            UpdatedAt = now,
            // An approved erasure's recovery window starts at its approval (RequestApprovals).
            PurgeAt = type == JobType.Deletion && approval == ApprovalPolicy.None ? RecoveryWindowEnd(tenant, now) : null,
            Deadline = LifecyclePolicy.Deadline(now, tenant.Requests.RequestDeadline.ToTimeSpan(), tenant.TimeScale),
            RequestedBy = requestedBy,
            RequestedByRole = role,
            RequestedByKey = requestedByKey,
            Approval = approval,
            MaskedCategories = type == JobType.Deletion ? tenant.Erasure.MaskedCategories : [],
        };
        var reservation = idempotency is null ? null : new IdempotencyReservation(idempotency.KeyHash, idempotency.Fingerprint, now + IdempotencyKeys.Lifetime);
        switch (await jobs.CreateAsync(job, reservation, cancellationToken))
        {
            case JobCreated { Job.Status: JobStatus.AwaitingApproval } awaiting:
                // The tenant's approvers are told a request waits (ids only); its deadline clock runs meanwhile.
                await notices.TrySendAsync(awaiting.Job, NotificationEvents.RequestAwaitingApproval, now, cancellationToken);
                return new Accepted(awaiting.Job, Replayed: false);
            case JobCreated created:
                return new Accepted(await StartAsync(created.Job, cancellationToken), Replayed: false);
            case JobReplayed { Job.Status: JobStatus.AwaitingApproval } waiting:
                // A replay of a submission whose notice may have failed: sent again (its name keeps it once).
                await notices.TrySendAsync(waiting.Job, NotificationEvents.RequestAwaitingApproval, now, cancellationToken);
                return new Accepted(waiting.Job, Replayed: true);
            case JobReplayed replayed:
                // The first submission may have stored its job and then died before starting it: start it now (same name, so once).
                var replayedJob = replayed.Job is { Status: JobStatus.Queued, ExecutionArn: null } ? await StartAsync(replayed.Job, cancellationToken) : replayed.Job;
                return new Accepted(replayedJob, Replayed: true);
            case IdempotencyConflict conflict:
                return new KeyReusedWithAnotherBody(conflict.JobId);
            case ErasureAlreadyOpen open:
                return new ErasureOpen(open.JobId);
            default:
                throw new InvalidOperationException("Unknown job creation outcome.");
        }
    }

    /// <summary>
    /// An export of the tenant's audit chain for <c>[from, to)</c> (API.md, POST …/audit/exports), delivered like a subject's
    /// export. It names no subject: its subject ref is <see cref="AuditExportSubject"/>, so no subject token ever sees it.
    /// </summary>
    public async Task<Job> SubmitAuditExportAsync(
        Tenant tenant, DateTimeOffset? from, DateTimeOffset? to, string format, string requestedBy, string role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var now = clock.GetUtcNow();
        var job = new Job
        {
            Id = Job.NewId(now),
            TenantId = tenant.Id,
            Type = JobType.AuditExport,
            SubjectRef = AuditExportSubject,
            Format = format,
            Status = JobStatus.Queued,
            Phase = JobPhases.Collect,
            CreatedAt = now,
            UpdatedAt = now,
            RangeFrom = from,
            RangeTo = to,
            RequestedBy = requestedBy,
            RequestedByRole = role,
        };
        var created = await jobs.CreateAsync(job, null, cancellationToken);
        return await StartAsync(created is JobCreated stored ? stored.Job : job, cancellationToken);
    }

    /// <summary>When an erasure that starts at <paramref name="start"/> may purge: its recovery window on the tenant's clock.</summary>
    public static DateTimeOffset RecoveryWindowEnd(Tenant tenant, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return LifecyclePolicy.Deadline(start, LifecyclePolicy.RecoveryWindow, tenant.TimeScale);
    }

    /// <summary>The subject ref of jobs that name no subject (audit exports, retention sweeps): no subject token ever sees them.</summary>
    public const string TenantWideSubject = "-";

    public const string AuditExportSubject = TenantWideSubject;

    /// <summary>Starts the job's current execution; a failure leaves the job queued for reconciliation.</summary>
    public Task<Job> StartAsync(Job job, CancellationToken cancellationToken) => workflows.StartCurrentAsync(jobs, job, cancellationToken);

    /// <summary>Cancel: allowed while the job is open and its purge has not started; stops the execution, undoes nothing.</summary>
    public async Task<(JobChange Change, Job? Job)> CancelAsync(string tenantId, string jobId, CancellationToken cancellationToken)
    {
        var job = await jobs.FindAsync(tenantId, jobId, cancellationToken);
        if (job is null)
        {
            return (JobChange.NotFound, null);
        }

        if (!job.IsCancellable)
        {
            return (JobChange.Conflict, job);
        }

        var cancelled = await jobs.TryUpdateAsync(tenantId, jobId, JobTransitions.CancelNow(job, clock.GetUtcNow()), cancellationToken);
        if (cancelled is null)
        {
            return (JobChange.Conflict, await jobs.FindAsync(tenantId, jobId, cancellationToken));
        }

        await workflows.StopAsync(job, "Cancelled through the API.", cancellationToken);
        return (JobChange.Done, cancelled);
    }

    /// <summary>Restores every item this erasure soft-deleted that is still inside its window. Returns how many came back.</summary>
    public async Task<(JobChange Change, long Restored)> RestoreRequestAsync(string tenantId, string jobId, CancellationToken cancellationToken)
    {
        var job = await jobs.FindAsync(tenantId, jobId, cancellationToken);
        if (job is not { Type: JobType.Deletion })
        {
            return (JobChange.NotFound, 0);
        }

        var now = clock.GetUtcNow();
        // Paused by a hold before its purge, the erasure is still inside its window: its items may come back too.
        if (job.PurgeAt is not { } purgeAt || now >= purgeAt || (job.Phase is not (JobPhases.Validate or JobPhases.SoftDelete or JobPhases.RecoveryWindow) && !job.IsHeldBeforePurge))
        {
            return (JobChange.Conflict, 0);
        }

        long restored = 0;
        string? cursor = null;
        do
        {
            var (page, next) = await inventory.PageAsync(tenantId, job.SubjectRef, cursor, WorkflowPaging.PageSize, cancellationToken);
            foreach (var item in page.Where(i => i.State == ItemState.SoftDeleted && i.ErasureJobId == job.Id))
            {
                if (await inventory.RestoreAsync(tenantId, item.ItemId, now, cancellationToken))
                {
                    restored++;
                }
            }

            cursor = next;
        }
        while (cursor is not null);

        return (JobChange.Done, restored);
    }

    /// <summary>Restores one soft-deleted item inside its window; Conflict otherwise (active, purged, or the window is over).</summary>
    public async Task<(JobChange Change, InventoryItem? Item)> RestoreItemAsync(string tenantId, string itemId, CancellationToken cancellationToken)
    {
        var item = await inventory.FindAsync(tenantId, itemId, cancellationToken);
        if (item is null)
        {
            return (JobChange.NotFound, null);
        }

        return await inventory.RestoreAsync(tenantId, itemId, clock.GetUtcNow(), cancellationToken)
            ? (JobChange.Done, item with { State = ItemState.Active })
            : (JobChange.Conflict, item);
    }

    /// <summary>
    /// Deletes one item of a subject (API.md, DELETE …/records/{id}): active → soft_deleted (the record hidden in the same
    /// write) until its recovery window ends on the tenant's clock, restorable meanwhile (<see cref="RestoreItemAsync"/>), then
    /// purged by the soft-delete sweep, which skips it while a legal hold stands. A subject under a legal hold keeps its items.
    /// </summary>
    public async Task<(ItemDeleteOutcome Outcome, InventoryItem? Item)> DeleteItemAsync(Tenant tenant, string subjectRef, string itemId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var item = await inventory.FindAsync(tenant.Id, itemId, cancellationToken);
        // A record of this very subject: consents, files and export volumes have their own ways to go.
        if (item is null || item.SubjectRef != subjectRef || item.Kind != "record")
        {
            return (ItemDeleteOutcome.NotFound, null);
        }

        if (item.State != ItemState.Active)
        {
            return (ItemDeleteOutcome.NotActive, item);
        }

        var now = clock.GetUtcNow();
        var purgeAt = LifecyclePolicy.Deadline(now, LifecyclePolicy.RecoveryWindow, tenant.TimeScale);
        try
        {
            // The erasure lock and the hold marker are checked in the delete's own transaction.
            return await inventory.DeleteOneAsync(tenant.Id, subjectRef, item, ItemDeleteJobId(itemId), purgeAt, now, cancellationToken)
                ? (ItemDeleteOutcome.Deleted, item with { State = ItemState.SoftDeleted, PurgeAt = purgeAt })
                : (ItemDeleteOutcome.NotActive, await inventory.FindAsync(tenant.Id, itemId, cancellationToken) ?? item);
        }
        catch (LegalHoldException)
        {
            return (ItemDeleteOutcome.Held, item);
        }
    }

    /// <summary>
    /// The pseudo job a single delete stamps its item with: no job of that id exists, so the soft-delete sweep purges the item
    /// once its window ends, and an erasure of the subject takes the item over.
    /// </summary>
    public static string ItemDeleteJobId(string itemId) => $"item-delete:{itemId}";

    /// <summary>Holds and erasures meet here: a new hold pauses the subject's erasure, the last release resumes it.</summary>
    public HeldErasures Held { get; } = new(jobs, workflows, holds, clock);

    /// <summary>
    /// Retry of a failed erasure: its purge runs again in a new execution <c>{jobId}-{n+1}</c> over the items not yet purged
    /// (those listed in <c>errors</c>); everything already erased stays erased and counts again from the inventory.
    /// </summary>
    public async Task<(JobChange Change, Job? Job)> RetryAsync(string tenantId, string jobId, CancellationToken cancellationToken)
    {
        var job = await jobs.FindAsync(tenantId, jobId, cancellationToken);
        if (job is not { Type: JobType.Deletion or JobType.BackupScrub or JobType.Export })
        {
            return (JobChange.NotFound, null);
        }

        // An export is retried only when its connectors did not all confirm (nothing was collected yet); its other failures
        // are submitted again as a new request.
        if (job.Status != JobStatus.Failed || (job.Type == JobType.Export && job.Phase != JobPhases.Connectors))
        {
            return (JobChange.Conflict, job);
        }

        if (job.Type == JobType.Export)
        {
            var again = await jobs.TryUpdateAsync(tenantId, jobId, JobTransitions.RetryConnectors(clock.GetUtcNow()), cancellationToken);
            return again is null
                ? (JobChange.Conflict, await jobs.FindAsync(tenantId, jobId, cancellationToken))
                : (JobChange.Done, await workflows.StartCurrentAsync(jobs, again, cancellationToken));
        }

        if (job.Type == JobType.BackupScrub)
        {
            // From the start: the backups are looked at again, the window (over by now) passes, every tombstone is scrubbed again.
            var again = await jobs.TryUpdateAsync(tenantId, jobId, JobTransitions.RetryScrub(clock.GetUtcNow()), cancellationToken);
            return again is null
                ? (JobChange.Conflict, await jobs.FindAsync(tenantId, jobId, cancellationToken))
                : (JobChange.Done, await workflows.StartCurrentAsync(jobs, again, cancellationToken));
        }

        var purgeReached = job.Phase is JobPhases.Connectors or JobPhases.Purge or JobPhases.Shred or JobPhases.Certify or JobPhases.Notify;
        var retried = await jobs.TryUpdateAsync(tenantId, jobId, JobTransitions.Retry(purgeReached, clock.GetUtcNow()), cancellationToken);
        if (retried is null)
        {
            return (JobChange.Conflict, await jobs.FindAsync(tenantId, jobId, cancellationToken));
        }

        var input = new WorkflowInput(tenantId, jobId, retried.Execution) { Resume = purgeReached ? JobPhases.Purge : null };
        return (JobChange.Done, await workflows.StartCurrentAsync(jobs, retried, input, cancellationToken));
    }
}
