using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Erasure;

/// <summary>
/// Erasures paused by a legal hold (API.md, Requests; ADR 0008): placing a hold pauses the subject's open erasure at once
/// (phase <c>held</c>, its execution stopped) unless its purge runs, which pauses before its next page; releasing the subject's
/// last hold resumes it as <c>{jobId}-{n+1}</c>. The reconciler calls <see cref="ResumeAsync"/> too, so a pause that raced a
/// release, or a resume whose start failed, never leaves an erasure (and its lock on the subject) stranded.
/// </summary>
public sealed class HeldErasures(IJobStore jobs, IWorkflowStarter workflows, IHoldCheck holds, TimeProvider clock) : IPausedJobs
{
    /// <summary>
    /// Phases a hold stops at once: nothing has been purged yet, and the window (or the wait for the connectors' answers) may
    /// still run for days. A resume calls the connectors that had not confirmed again.
    /// </summary>
    public static readonly IReadOnlyList<string> StoppedAtOnce = [JobPhases.SoftDelete, JobPhases.RecoveryWindow, JobPhases.Connectors];

    /// <summary>Pauses the subject's open erasure for a hold just placed; returns it when it moved to <c>held</c> now.</summary>
    public async Task<Job?> PauseAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        if (await jobs.OpenErasureAsync(tenantId, subjectRef, cancellationToken) is not { } jobId
            || await jobs.FindAsync(tenantId, jobId, cancellationToken) is not { Status: JobStatus.Running } job
            || !StoppedAtOnce.Contains(job.Phase, StringComparer.Ordinal))
        {
            return null;
        }

        var held = await jobs.TryUpdateAsync(tenantId, jobId, JobTransitions.PauseForHold(StoppedAtOnce, clock.GetUtcNow()), cancellationToken);
        if (held is not null)
        {
            // The reconciler and the status rule take a stop of a held job's execution for what it is: a pause.
            await workflows.StopAsync(held, "Paused: a legal hold was placed on the subject.", cancellationToken);
        }

        return held;
    }

    /// <summary>
    /// Resumes the subject's erasure that waits in <c>held</c>, once no hold names the subject, in <c>{jobId}-{n+1}</c>: back to
    /// its soft-delete and window when the window is still open, else its purge from the first page (what is purged already
    /// counts again from its final state), then shred and certificate as usual. Returns the resumed job, or null when none was waiting (or a hold still stands).
    /// </summary>
    public async Task<Job?> ResumeAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        if (await holds.IsHeldAsync(tenantId, subjectRef, cancellationToken)
            || await jobs.OpenErasureAsync(tenantId, subjectRef, cancellationToken) is not { } jobId
            || await jobs.FindAsync(tenantId, jobId, cancellationToken) is not { Status: JobStatus.Running, Phase: JobPhases.Held } job)
        {
            return null;
        }

        // Before the window ends (and before any purge), the erasure goes back to hiding and waiting: its soft-delete pages run
        // again (a replay changes nothing) and the window ends at its own purgeAt. After it, the purge runs from its first page.
        var now = clock.GetUtcNow();
        var purge = job.PurgeStartedAt is not null || job.PurgeAt is not { } purgeAt || now >= purgeAt;
        var phase = purge ? JobPhases.Purge : JobPhases.SoftDelete;

        // Conditional on the phase: of two concurrent releases, one resumes and the other finds the job moving already.
        var resumed = await jobs.TryUpdateAsync(tenantId, jobId, JobTransitions.ResumeFromHold(purge, now), cancellationToken);
        if (resumed is null)
        {
            return null;
        }

        // Should this start fail, the job is running with no execution: the reconciler starts it (same name, so once).
        return await workflows.StartCurrentAsync(jobs, resumed, new WorkflowInput(tenantId, jobId, resumed.Execution) { Resume = phase }, cancellationToken);
    }

    public bool IsPaused(Job job) => ErasureWorkflow.Definition.IsPaused(job);

    public Task<Job?> ResumeAsync(Job job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Type == JobType.Deletion ? ResumeAsync(job.TenantId, job.SubjectRef, cancellationToken) : Task.FromResult<Job?>(null);
    }
}
