using System.Text.Json.Nodes;
using Lethe.Domain.Audit;

namespace Lethe.Domain.Jobs.Workflow;

/// <summary>
/// What every workflow's steps share: the guard (the job is open, of this workflow, and this is its current execution), named
/// phase moves that a replay finds done already, and audit events written once per step (deterministic ids).
/// </summary>
public abstract class WorkflowStep<TState>(WorkflowDefinition workflow, IJobStore jobs, IAuditJournal audit, TimeProvider clock) : IWorkflowStep<TState>
    where TState : IWorkflowState
{
    protected WorkflowDefinition Workflow { get; } = workflow;

    protected IJobStore Jobs { get; } = jobs;

    protected DateTimeOffset Now => Clock.GetUtcNow();

    protected TimeProvider Clock { get; } = clock;

    public abstract Task<TState> RunAsync(TState state, CancellationToken cancellationToken);

    /// <summary>The job of the state: it exists, belongs to this workflow, and this execution is its current one (open or not).</summary>
    protected async Task<Job> CurrentJobAsync(TState state, CancellationToken cancellationToken)
    {
        var job = await Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken);
        if (job is null || !Workflow.Runs(job.Type))
        {
            throw new JobNotActiveException($"Job {state.JobId} is not a {Workflow.Name} job.");
        }

        StepGuard.EnsureCurrentExecution(job, state.Execution);
        return job;
    }

    /// <summary>The step guard: the job of the state is open and this execution is its current one; otherwise the step does nothing.</summary>
    protected async Task<Job> OpenJobAsync(TState state, CancellationToken cancellationToken)
    {
        var job = await CurrentJobAsync(state, cancellationToken);
        if (!JobStatuses.IsOpen(job.Status))
        {
            throw new JobNotActiveException($"Job {job.Id} is {JobStatuses.Name(job.Status)}; the step did nothing.");
        }

        return job;
    }

    /// <summary>
    /// Applies a phase move (conditional on the phase it leaves, so a pause that came meanwhile is never overwritten); a replay
    /// that finds the job running in <paramref name="toPhase"/> already does nothing. Returns the job after the move.
    /// </summary>
    protected async Task<Job> MoveAsync(Job job, JobUpdate move, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(move);
        var toPhase = move.Phase ?? job.Phase;
        if (job.Status == JobStatus.Running && job.Phase == toPhase && move.Status is null or JobStatus.Running)
        {
            return job;
        }

        if (await Jobs.TryUpdateAsync(job.TenantId, job.Id, move, cancellationToken) is { } moved)
        {
            return moved;
        }

        var current = await Jobs.FindAsync(job.TenantId, job.Id, cancellationToken);
        if (current is { Status: JobStatus.Running } && current.Phase == toPhase && move.Status is null or JobStatus.Running)
        {
            return current;
        }

        throw new JobNotActiveException($"Job {job.Id} could not move to {toPhase}: it is {(current is null ? "gone" : $"{JobStatuses.Name(current.Status)}/{current.Phase}")}.");
    }

    /// <summary>
    /// The last step's completion, once: a job completed already (a replay) is returned as it is; a closed one ends the step;
    /// otherwise <paramref name="finishing"/> runs, then the job completes from <paramref name="fromPhase"/> (an erasure-style
    /// lock ending in the same write). Returns the completed job.
    /// </summary>
    protected async Task<Job> CompleteOnceAsync(TState state, string fromPhase, Func<Job, Task> finishing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(finishing);
        var job = await CurrentJobAsync(state, cancellationToken);
        if (job.Status == JobStatus.Completed)
        {
            return job;
        }

        if (!JobStatuses.IsOpen(job.Status))
        {
            throw new JobNotActiveException($"Job {job.Id} is {JobStatuses.Name(job.Status)}; it cannot complete.");
        }

        await finishing(job);
        return await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Complete(job.Type, fromPhase, Now), cancellationToken)
            ?? throw new JobNotActiveException($"Job {job.Id} could not complete: it is no longer in {fromPhase}.");
    }

    /// <summary>One audit event per step and job (<c>{jobId}:{step}</c>): the journal writes a replay once.</summary>
    protected Task AuditOnceAsync(Job job, string step, string action, string outcome, JsonObject details, CancellationToken cancellationToken) =>
        audit.AppendAsync(WorkflowAudit.Event(job, Workflow.Actor, step, action, outcome, details, Now), cancellationToken);
}

/// <summary>The part of the step guard that needs no store: whether an execution is still its job's current one.</summary>
public static class StepGuard
{
    /// <summary>
    /// Only the job's current execution acts for it: one that a hand-over, a resume or a retry superseded (or that a pause
    /// stopped while a step was running) ends quietly instead of racing its successor.
    /// </summary>
    public static void EnsureCurrentExecution(Job job, int execution)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Execution != execution)
        {
            throw new JobNotActiveException($"Execution {execution} of job {job.Id} was superseded by execution {job.Execution}; the step did nothing.");
        }
    }
}
