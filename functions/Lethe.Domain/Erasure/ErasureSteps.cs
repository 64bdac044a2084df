using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Errors;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure;

/// <summary>The subject is under a legal hold: nothing of it may be deleted. Step Functions matches <c>Lethe.LegalHold</c>.</summary>
public sealed class LegalHoldException(string message) : LetheException(message)
{
    public const string Name = "Lethe.LegalHold";

    public override string ErrorType => Name;
}

/// <summary>Items failed after retries: no shred, no certificate; the job ends failed with the items listed.</summary>
public sealed class ErasureIncompleteException(string message) : LetheException(message)
{
    public const string Name = "Lethe.ErasureIncomplete";

    public override string ErrorType => Name;
}

/// <summary>The job is not in a state this step can act on (cancelled, finished, or unknown).</summary>
public sealed class JobNotActiveException(string message) : LetheException(message)
{
    public const string Name = "Lethe.JobNotActive";

    public override string ErrorType => Name;
}

/// <summary>The state carried between the deletion workflow's steps: ids, cursor, counters; never data.</summary>
public sealed record ErasureState(string TenantId, string JobId, int Execution)
{
    public string? Resume { get; init; }

    public string? Cursor { get; init; }

    public long Page { get; init; }

    public int PagesInExecution { get; init; }

    public int PageSize { get; init; } = ErasurePaging.DefaultPageSize;

    public int PagesPerExecution { get; init; } = ErasurePaging.DefaultPagesPerExecution;

    /// <summary>ISO 8601 UTC; the Wait state's TimestampPath.</summary>
    public string? PurgeAt { get; init; }

    /// <summary>Another page follows in this loop.</summary>
    public bool More { get; init; }

    /// <summary>This execution has done its share of pages: a fresh one continues from <see cref="Cursor"/>.</summary>
    public bool HandOver { get; init; }

    public bool Cancelled { get; init; }

    /// <summary>A legal hold paused the erasure (phase <c>held</c>): this execution ends, releasing the last hold resumes it.</summary>
    public bool Held { get; init; }

    /// <summary>How the subject's KEK was destroyed (<c>kek-deleted</c>, or <c>kek-replaced</c> when items survive) and its id.</summary>
    public string? ShredMethod { get; init; }

    public string? ShreddedKekId { get; init; }

    public static ErasureState From(WorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ErasureState(input.TenantId, input.JobId, input.Execution)
        {
            Resume = input.Resume,
            Cursor = input.Cursor,
            Page = input.Page,
            PageSize = Math.Clamp(input.PageSize, 1, ErasurePaging.MaxPageSize),
            PagesPerExecution = Math.Max(1, input.PagesPerExecution),
        };
    }
}

/// <summary>The ports the deletion workflow's steps work through.</summary>
public sealed record ErasurePorts(
    IJobStore Jobs,
    IErasureInventory Inventory,
    IDataPurger Purger,
    ISubjectKeyShredder Keys,
    ISurvivorRewrapper Rewrapper,
    IHoldCheck Holds,
    IAuditJournal Audit,
    IAuditChainStore Chain,
    IEvidenceSigner Signer,
    ICertificateStore Certificates,
    IBackupScrubSchedule Scrubs,
    TimeProvider Clock);

/// <summary>Records that a backup scrub is due for a completed deletion (the scrub workflow picks it up). A port.</summary>
public interface IBackupScrubSchedule
{
    Task ScheduleAsync(string tenantId, string jobId, DateTimeOffset dueAt, CancellationToken cancellationToken);
}

/// <summary>
/// The steps of workflows/deletion.asl.json, one method per Task state. Every step may run twice with the same input and ends
/// in the same state: item moves are conditional, counters move only with the page that earns them, audit events carry
/// deterministic ids, and the certificate is written once under the job id.
/// </summary>
public sealed class ErasureSteps(ErasurePorts ports)
{
    public static readonly AuditActor WorkflowActor = new("lethe-deletion-workflow", "system");

    private IJobStore Jobs => ports.Jobs;

    private DateTimeOffset Now => ports.Clock.GetUtcNow();

    /// <summary>validate: the job is open, the subject is not held; counts the items and moves the job to soft-delete.</summary>
    public async Task<ErasureState> ValidateAsync(ErasureState state, CancellationToken cancellationToken)
    {
        var job = await OpenJobAsync(state, cancellationToken);
        if (state.Resume is JobPhases.SoftDelete or JobPhases.Purge)
        {
            // A hand-over or retry continues where the previous execution stopped; nothing to validate again.
            return state with { PurgeAt = Time(job.PurgeAt!.Value), PagesInExecution = 0, More = true };
        }

        if (await ports.Holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            throw new LegalHoldException("The subject is under a legal hold: nothing of it may be deleted.");
        }

        var total = await ports.Inventory.CountAsync(job.TenantId, job.SubjectRef, cancellationToken);
        await Jobs.RecordPageAsync(job.TenantId, job.Id, JobPhases.Validate, 1, ErasureCounts.None with { Total = total }, [], Now, cancellationToken);
        await MoveAsync(job, [JobStatus.Queued, JobStatus.Running], JobPhases.Validate, JobPhases.SoftDelete, cancellationToken);
        await AuditOnceAsync(job, "validate", "erasure.start", "success", new JsonObject { ["items"] = total, ["purgeAt"] = Time(job.PurgeAt!.Value) }, cancellationToken);
        return state with { Resume = "start", PurgeAt = Time(job.PurgeAt!.Value), Cursor = null, Page = 0, PagesInExecution = 0, More = true };
    }

    /// <summary>
    /// soft-delete: hides one page of the subject's items at once from every read path, and takes over what is hidden already
    /// (by a cancelled erasure, or a single delete) so that it ends with this erasure's window, purge and certificate. Items
    /// restored from this erasure stay restored: a run resumed after a hold does not hide them again.
    /// </summary>
    public async Task<ErasureState> SoftDeletePageAsync(ErasureState state, CancellationToken cancellationToken)
    {
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Phase is not (JobPhases.SoftDelete or JobPhases.RecoveryWindow))
        {
            // Paused by a hold since this loop began: releasing the hold resumes the erasure, which hides the rest.
            // (recovery-window: a replay of the last page, which changes nothing.)
            throw new JobNotActiveException($"Job {job.Id} is {job.Phase}, not in its soft-delete; the step did nothing.");
        }

        var (items, next) = await ports.Inventory.PageAsync(job.TenantId, job.SubjectRef, state.Cursor, state.PageSize, cancellationToken);
        var hiding = items.Where(i => ErasureItems.IsToHide(i, job.Id)).ToList();
        await ports.Inventory.SoftDeleteAsync(job.TenantId, hiding, job.Id, job.PurgeAt!.Value, Now, cancellationToken);
        // Earned by this page: what it leaves soft-deleted (the same count on a replay, which the store then ignores).
        var hidden = items.Count(i => i.State == ItemState.SoftDeleted) + hiding.Count(i => i.State == ItemState.Active);
        var page = state.Page + 1;
        if (await Jobs.RecordPageAsync(job.TenantId, job.Id, JobPhases.SoftDelete, page, ErasureCounts.None with { SoftDeleted = hidden }, [], Now, cancellationToken))
        {
            await AuditOnceAsync(job, $"soft-delete:{page}", "erasure.soft-delete", "success", PageDetails(page, items.Where(i => i.State != ItemState.Purged)), cancellationToken);
        }

        if (next is null)
        {
            await MoveAsync(job, [JobStatus.Running], JobPhases.SoftDelete, JobPhases.RecoveryWindow, cancellationToken);
        }

        return Advance(state, next, page);
    }

    /// <summary>
    /// After the Wait: stops cleanly if the job was cancelled; otherwise moves it to purge with a write conditional on it still
    /// being open in the recovery window, so a cancel and the purge can never both win.
    /// </summary>
    public async Task<ErasureState> BeginPurgeAsync(ErasureState state, CancellationToken cancellationToken)
    {
        var job = await Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken) ?? throw new JobNotActiveException($"Job {state.JobId} does not exist.");
        if (job.Status == JobStatus.Cancelled)
        {
            return state with { Cancelled = true };
        }

        EnsureCurrentExecution(job, state);

        // A Wait state wakes on whole seconds (and an emulator may truncate): wait out a short remainder here, retry a long one.
        var remaining = job.PurgeAt!.Value - Now;
        if (remaining > TimeSpan.FromSeconds(10))
        {
            throw new TransientException($"The recovery window of job {job.Id} ends at {Time(job.PurgeAt.Value)}; it is not over yet.");
        }

        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining + TimeSpan.FromMilliseconds(5), ports.Clock, cancellationToken);
        }

        if (await ports.Holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            return await PauseForHoldAsync(job, state, cancellationToken);
        }

        if (job.Phase != JobPhases.Purge)
        {
            var moved = await Jobs.TryUpdateAsync(job.TenantId, job.Id, new JobUpdate([JobStatus.Running], Now)
            {
                WhenPhase = [JobPhases.RecoveryWindow],
                Phase = JobPhases.Purge,
                MarkPurgeStarted = true,
            }, cancellationToken);
            if (moved is null)
            {
                var current = await Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken);
                if (current is { Status: JobStatus.Cancelled })
                {
                    return state with { Cancelled = true };
                }

                if (current is not { Status: JobStatus.Running, Phase: JobPhases.Purge })
                {
                    throw new JobNotActiveException($"Job {state.JobId} cannot start its purge from {current?.Status}/{current?.Phase}.");
                }
            }
        }

        return state with { Cursor = null, Page = 0, More = true, Cancelled = false };
    }

    /// <summary>
    /// purge: deletes one page of due items (every object version, every table item) and adds what the page earned to the
    /// job's counters and the certificate's tally in one conditional write. What the page does not purge now is decided from
    /// each item's current state (a consistent read), never from the index copy, which may be stale: an item a crashed run
    /// already purged still counts as purged, a restored one as restored. A legal hold placed meanwhile pauses the erasure.
    /// </summary>
    public async Task<ErasureState> PurgePageAsync(ErasureState state, CancellationToken cancellationToken)
    {
        var job = await OpenJobAsync(state, cancellationToken);
        if (await ports.Holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            return await PauseForHoldAsync(job, state, cancellationToken);
        }

        var now = Now;
        var (items, next) = await ports.Inventory.PageAsync(job.TenantId, job.SubjectRef, state.Cursor, state.PageSize, cancellationToken);
        var page = state.Page + 1;
        var tally = new PageTally();
        var errors = new List<JobError>();
        IReadOnlySet<string> purging;
        try
        {
            purging = await PurgeNowAsync(job, items.Where(i => i.IsDue(now) || i.State == ItemState.Purging).ToList(), now, tally, errors, cancellationToken);
        }
        catch (LegalHoldException)
        {
            // A hold placed after the check above: the move to purging is conditional on no hold, so nothing more was deleted.
            return await PauseForHoldAsync(job, state, cancellationToken);
        }

        // A purged item never changes again, so its index copy is final; every other item not purged now is read again.
        var undecided = items.Where(i => !purging.Contains(i.ItemId) && i.State != ItemState.Purged).Select(i => i.ItemId).ToList();
        var current = undecided.Count == 0 ? [] : await ports.Inventory.CurrentAsync(job.TenantId, undecided, cancellationToken);
        foreach (var item in items.Where(i => i.State == ItemState.Purged && !purging.Contains(i.ItemId)).Concat(current.Where(c => c.State == ItemState.Purged)))
        {
            tally.Purged(item, item.VersionsDeleted);
        }

        // Active and not restored from this erasure: an item the soft-delete pass never saw (an index that lagged behind a write
        // made just before the lock). Nobody chose to keep it, so it is hidden and purged now, never certified as a survivor.
        var missed = current.Where(c => c.State == ItemState.Active && c.RestoredFrom != job.Id).ToList();
        if (missed.Count > 0)
        {
            await ports.Inventory.SoftDeleteAsync(job.TenantId, missed, job.Id, now, now, cancellationToken);
            try
            {
                await PurgeNowAsync(job, missed.Select(m => m with { State = ItemState.SoftDeleted, PurgeAt = now }).ToList(), now, tally, errors, cancellationToken);
            }
            catch (LegalHoldException)
            {
                return await PauseForHoldAsync(job, state, cancellationToken);
            }
        }

        foreach (var stuck in current.Where(c => c.State is ItemState.SoftDeleted or ItemState.Purging))
        {
            errors.Add(new JobError(stuck.ItemId, $"The item is {ItemStates.Name(stuck.State)} and could not be moved to purging; retry the request.", now));
        }

        var earned = tally.Counts with { Failed = errors.Count, Restored = current.LongCount(c => c.State == ItemState.Active && c.RestoredFrom == job.Id) };
        if (await Jobs.RecordPageAsync(job.TenantId, job.Id, JobPhases.Purge, page, earned, errors, now, cancellationToken))
        {
            var details = PageDetails(page, items.Where(i => i.State != ItemState.Active));
            details["purged"] = earned.Purged;
            details["failed"] = earned.Failed;
            details["restored"] = earned.Restored;
            await AuditOnceAsync(job, $"purge:{job.Execution}:{page}", "erasure.purge", earned.Failed > 0 ? "partial" : "success", details, cancellationToken);
        }

        return Advance(state, next, page);
    }

    /// <summary>
    /// Moves the given due items to purging, deletes their data and marks them purged; adds what was purged to the tally and
    /// what failed to the errors. Returns the ids that were (or already were) purging.
    /// </summary>
    private async Task<IReadOnlySet<string>> PurgeNowAsync(Job job, List<ErasureItem> due, DateTimeOffset now, PageTally tally, List<JobError> errors, CancellationToken cancellationToken)
    {
        if (due.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        var purging = await ports.Inventory.BeginPurgeAsync(job.TenantId, job.SubjectRef, due, now, cancellationToken);
        var targets = due.Where(i => purging.Contains(i.ItemId)).ToList();
        var outcomes = targets.Count == 0 ? [] : await ports.Purger.PurgeAsync(job.TenantId, targets, cancellationToken);
        var done = outcomes.Where(o => o.Succeeded).Select(o => (o.ItemId, o.Versions)).ToList();
        await ports.Inventory.MarkPurgedAsync(job.TenantId, done, job.Id, now, cancellationToken);
        var versions = done.ToDictionary(d => d.ItemId, d => d.Versions, StringComparer.Ordinal);
        foreach (var item in targets.Where(t => versions.ContainsKey(t.ItemId)))
        {
            tally.Purged(item, versions[item.ItemId]);
        }

        errors.AddRange(outcomes.Where(o => !o.Succeeded).Select(o => new JobError(o.ItemId, o.Failure!, now)));
        return purging;
    }

    /// <summary>
    /// A legal hold stands for the subject: nothing more of it is deleted. The job waits in phase <c>held</c> (still running,
    /// its execution ends here); releasing the subject's last hold resumes it in a fresh execution (API.md, Requests).
    /// </summary>
    private async Task<ErasureState> PauseForHoldAsync(Job job, ErasureState state, CancellationToken cancellationToken)
    {
        if (job.Phase != JobPhases.Held
            && await Jobs.TryUpdateAsync(job.TenantId, job.Id, new JobUpdate([JobStatus.Running], Now)
            {
                WhenPhase = [JobPhases.RecoveryWindow, JobPhases.Purge],
                Phase = JobPhases.Held,
            }, cancellationToken) is null)
        {
            throw new JobNotActiveException($"Job {job.Id} could not pause for a legal hold: it is no longer in its window or purge.");
        }

        await AuditOnceAsync(job, $"held:{job.Execution}", "erasure.held", "success", new JsonObject { ["phase"] = job.Phase }, cancellationToken);
        return state with { Held = true, More = false, HandOver = false };
    }

    /// <summary>
    /// shred: decided from the job's counters (never from an index read). When nothing of the subject survives, deletes its
    /// KEK and directory entry. When restored items survive, their DEKs are rewrapped under a fresh KEK one page per
    /// invocation (the state carries the cursor, nothing grows with the subject), then the fresh KEK replaces the old one,
    /// which is destroyed. Refuses when items failed (no shred, no certificate).
    /// </summary>
    public async Task<ErasureState> ShredAsync(ErasureState state, CancellationToken cancellationToken)
    {
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Counts.Failed > 0)
        {
            throw new ErasureIncompleteException($"{job.Counts.Failed} item(s) could not be erased after retries; they are listed on the job. Retry the request to process them again.");
        }

        await MoveAsync(job, [JobStatus.Running], JobPhases.Purge, JobPhases.Shred, cancellationToken);
        var survivors = job.Counts.Restored + job.Counts.Held;
        if (survivors == 0)
        {
            var shredded = await ports.Keys.ShredAsync(job.TenantId, job.SubjectRef, cancellationToken);
            await AuditOnceAsync(job, "shred", "erasure.shred", "success", new JsonObject { ["method"] = "kek-deleted", ["kekId"] = shredded, ["survivors"] = 0 }, cancellationToken);
            return state with { Cursor = null, Page = 0, More = false, ShredMethod = "kek-deleted", ShreddedKekId = shredded ?? "none" };
        }

        var (items, next) = await ports.Inventory.PageAsync(job.TenantId, job.SubjectRef, state.Cursor, state.PageSize, cancellationToken);
        var candidates = items.Where(i => i.State != ItemState.Purged && i.Kind == "record" && i.Encrypted).Select(i => i.ItemId).ToList();
        var current = candidates.Count == 0 ? [] : await ports.Inventory.CurrentAsync(job.TenantId, candidates, cancellationToken);
        if (await ports.Keys.PrepareReplacementAsync(job.TenantId, job.SubjectRef, cancellationToken) is var (old, fresh))
        {
            using (old)
            using (fresh)
            {
                foreach (var survivor in current.Where(c => c.State != ItemState.Purged))
                {
                    await ports.Rewrapper.RewrapRecordAsync(job.TenantId, job.SubjectRef, survivor, old, fresh, cancellationToken);
                }

                if (next is null)
                {
                    await ports.Rewrapper.RewrapDirectoryAsync(job.TenantId, job.SubjectRef, old, fresh, cancellationToken);
                }
            }
        }

        if (next is not null)
        {
            return state with { Cursor = next, Page = state.Page + 1, More = true };
        }

        var replaced = await ports.Keys.CommitReplacementAsync(job.TenantId, job.SubjectRef, cancellationToken);
        await AuditOnceAsync(job, "shred", "erasure.shred", "success", new JsonObject { ["method"] = "kek-replaced", ["kekId"] = replaced, ["survivors"] = survivors }, cancellationToken);
        return state with { Cursor = null, Page = 0, More = false, ShredMethod = "kek-replaced", ShreddedKekId = replaced ?? "none" };
    }

    /// <summary>certify: the tally the purge pages added to the job, signed over the canonical payload and written once.</summary>
    public async Task<ErasureState> CertifyAsync(ErasureState state, CancellationToken cancellationToken)
    {
        var job = await OpenJobAsync(state, cancellationToken);
        await MoveAsync(job, [JobStatus.Running], JobPhases.Shred, JobPhases.Certify, cancellationToken);
        var existing = await ports.Certificates.FindAsync(job.TenantId, job.Id, "deletion", cancellationToken);
        var certificate = existing ?? await IssueAsync(job, state.ShredMethod ?? "kek-deleted", state.ShreddedKekId ?? "none", cancellationToken);
        await Jobs.TryUpdateAsync(job.TenantId, job.Id, new JobUpdate([JobStatus.Running], Now) { CertificateId = certificate.CertificateId }, cancellationToken);
        await AuditOnceAsync(job, "certify", "erasure.certificate", "success", new JsonObject { ["certificateId"] = certificate.CertificateId, ["keyId"] = certificate.KeyId }, cancellationToken);
        return state;
    }

    /// <summary>Records that the backups must be scrubbed of this subject by the deletion time plus 30 days (scaled).</summary>
    public async Task<ErasureState> ScheduleScrubAsync(ErasureState state, int timeScale, CancellationToken cancellationToken)
    {
        var job = await OpenJobAsync(state, cancellationToken);
        await MoveAsync(job, [JobStatus.Running], JobPhases.Certify, JobPhases.Notify, cancellationToken);
        var due = Policies.LifecyclePolicy.Deadline(job.CreatedAt, Policies.LifecyclePolicy.BackupScrubDeadline, timeScale);
        await ports.Scrubs.ScheduleAsync(job.TenantId, job.Id, due, cancellationToken);
        return state;
    }

    /// <summary>complete: the job is done and its erasure lock ends; every job of the subject forgets its free-text reason.</summary>
    public async Task<ErasureState> CompleteAsync(ErasureState state, CancellationToken cancellationToken)
    {
        var job = await Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken) ?? throw new JobNotActiveException($"Job {state.JobId} does not exist.");
        EnsureCurrentExecution(job, state);
        // Before the job reads completed: whoever sees it completed finds no reason naming the person left.
        await Jobs.ForgetReasonsAsync(job.TenantId, job.SubjectRef, cancellationToken);
        if (job.Status != JobStatus.Completed)
        {
            await Jobs.TryUpdateAsync(job.TenantId, job.Id, new JobUpdate([JobStatus.Running], Now)
            {
                WhenPhase = [JobPhases.Notify],
                Status = JobStatus.Completed,
                Phase = JobPhases.Done,
                CompletedAt = Now,
                ReleaseErasureLock = true,
            }, cancellationToken);
        }

        await AuditOnceAsync(job, "complete", "erasure.complete", "success", new JsonObject { ["certificateId"] = job.CertificateId }, cancellationToken);
        return state;
    }

    /// <summary>The Catch of every Task: the job ends failed with the error, its lock ends, and the audit says why.</summary>
    public async Task RecordFailureAsync(string tenantId, string jobId, int execution, string error, string cause, CancellationToken cancellationToken)
    {
        var job = await Jobs.FindAsync(tenantId, jobId, cancellationToken);
        if (job is null || !JobStatuses.IsOpen(job.Status) || job.Execution != execution || job.Phase == JobPhases.Held)
        {
            // Closed, superseded by a later execution, or paused by a hold (whose stop is what ended this execution):
            // not this failure's job to end.
            return;
        }

        var message = error == LegalHoldException.Name ? "The subject is under a legal hold: nothing was deleted." : $"{error}: {Truncate(cause, 500)}";
        await Jobs.TryUpdateAsync(tenantId, jobId, new JobUpdate([JobStatus.Queued, JobStatus.Running], Now)
        {
            Status = JobStatus.Failed,
            Error = new JobError("-", message, Now),
            ReleaseErasureLock = true,
        }, cancellationToken);
        await AuditOnceAsync(job, $"failed:{execution}", "erasure.fail", AuditActions.Failure, new JsonObject { ["error"] = error, ["phase"] = job.Phase }, cancellationToken);
    }

    private async Task<SignedCertificate> IssueAsync(Job job, string shredMethod, string kekId, CancellationToken cancellationToken)
    {
        var counts = job.Counts;
        var tally = new ErasureTally(counts.Purged, counts.PurgedByCategory, counts.PurgedByStore, counts.VersionsDeleted, counts.Restored, counts.Held);
        var head = await ports.Chain.ReadHeadAsync(job.TenantId, cancellationToken);
        var facts = new DeletionFacts(job.TenantId, job.SubjectRef, job.Id, job.CreatedAt, Now, job.Deadline ?? job.CreatedAt, job.PurgeAt ?? job.CreatedAt,
            tally, shredMethod, kekId, head, ports.Signer.KeyId);
        var payload = DeletionCertificate.Payload(facts);
        var signature = await ports.Signer.SignAsync(payload, cancellationToken);
        var certificate = new SignedCertificate(DeletionCertificate.IdFor(job.Id), job.Id, job.TenantId, "deletion", payload, signature, ports.Signer.KeyId);
        return await ports.Certificates.PutOnceAsync(certificate, cancellationToken);
    }

    private static ErasureState Advance(ErasureState state, string? next, long page)
    {
        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Cursor = next,
            Page = page,
            PagesInExecution = inExecution,
            More = next is not null,
            HandOver = next is not null && inExecution >= state.PagesPerExecution,
        };
    }

    private async Task<Job> OpenJobAsync(ErasureState state, CancellationToken cancellationToken)
    {
        var job = await Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken) ?? throw new JobNotActiveException($"Job {state.JobId} does not exist.");
        if (!JobStatuses.IsOpen(job.Status))
        {
            throw new JobNotActiveException($"Job {job.Id} is {JobStatuses.Name(job.Status)}; the step did nothing.");
        }

        EnsureCurrentExecution(job, state);
        return job;
    }

    /// <summary>
    /// Only the job's current execution acts for it: one that a hand-over, a resume or a retry superseded (or that a pause
    /// stopped while a step was running) ends quietly instead of racing its successor.
    /// </summary>
    private static void EnsureCurrentExecution(Job job, ErasureState state)
    {
        if (job.Execution != state.Execution)
        {
            throw new JobNotActiveException($"Execution {state.Execution} of job {job.Id} was superseded by execution {job.Execution}; the step did nothing.");
        }
    }

    /// <summary>Moves the running job from the phase this step follows to the next one; a replay that finds it there already does nothing.</summary>
    private async Task MoveAsync(Job job, IReadOnlyList<JobStatus> from, string fromPhase, string phase, CancellationToken cancellationToken)
    {
        if (job.Status == JobStatus.Running && job.Phase == phase)
        {
            return;
        }

        // Conditional on the phase too: a hold that paused the job meanwhile (phase held) is never overwritten by a step that
        // was still running when the pause came.
        if (await Jobs.TryUpdateAsync(job.TenantId, job.Id, new JobUpdate(from, Now) { WhenPhase = [fromPhase], Status = JobStatus.Running, Phase = phase }, cancellationToken) is null)
        {
            var current = await Jobs.FindAsync(job.TenantId, job.Id, cancellationToken);
            if (current is { Status: JobStatus.Running } && current.Phase == phase)
            {
                return;
            }

            throw new JobNotActiveException($"Job {job.Id} could not move to {phase}: it is {(current is null ? "gone" : $"{JobStatuses.Name(current.Status)}/{current.Phase}")}.");
        }
    }

    private Task AuditOnceAsync(Job job, string step, string action, string outcome, JsonObject details, CancellationToken cancellationToken) =>
        ports.Audit.AppendAsync(WorkflowAudit.Event(job, WorkflowActor, step, action, outcome, details, Now), cancellationToken);

    /// <summary>One event per page: the affected ids only as a SHA-256 manifest, never one event per item.</summary>
    private static JsonObject PageDetails(long page, IEnumerable<ErasureItem> items)
    {
        var ids = items.Select(i => i.ItemId).Order(StringComparer.Ordinal).ToList();
        return new JsonObject
        {
            ["page"] = page,
            ["items"] = ids.Count,
            ["manifestSha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', ids)))),
        };
    }

    public static string Time(DateTimeOffset at) => AuditChain.FormatTime(at);

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}

/// <summary>Which of an erasure's items a soft-delete page hides.</summary>
public static class ErasureItems
{
    /// <summary>
    /// Active items not restored from this erasure, and items another erasure (cancelled) or a single delete left hidden,
    /// which this erasure takes over. Restored-from-this-erasure items were kept on purpose and stay.
    /// </summary>
    public static bool IsToHide(ErasureItem item, string jobId)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.State switch
        {
            ItemState.Active => item.RestoredFrom != jobId,
            ItemState.SoftDeleted => item.ErasureJobId != jobId,
            _ => false,
        };
    }
}

/// <summary>What one purge page earned for the certificate: purged items by category and store, and the versions deleted.</summary>
internal sealed class PageTally
{
    private readonly Dictionary<string, long> _byCategory = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _byStore = new(StringComparer.Ordinal);
    private long _items;
    private long _versions;

    public void Purged(ErasureItem item, long versions)
    {
        _items++;
        _versions += versions;
        _byCategory[item.Category] = _byCategory.GetValueOrDefault(item.Category) + 1;
        _byStore[item.Store] = _byStore.GetValueOrDefault(item.Store) + 1;
    }

    public ErasureCounts Counts => ErasureCounts.None with
    {
        Purged = _items,
        PurgedByCategory = _byCategory,
        PurgedByStore = _byStore,
        VersionsDeleted = _versions,
    };
}
