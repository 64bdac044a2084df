using Lethe.Domain.Audit;

namespace Lethe.Domain.Jobs.Workflow;

/// <summary>A state whose page loop can hand over: where the loop stands (cursor, page) and how it is cut.</summary>
public interface IPagedWorkflowState : IWorkflowState
{
    string? Cursor { get; }

    long Page { get; }

    int PageSize { get; }

    int PagesPerExecution { get; }
}

/// <summary>
/// HandOver: a page loop passes to a fresh execution <c>{jobId}-{n+1}</c> well before the 25,000-event history limit. The
/// execution number is raised by a conditional write (so a replay starts the same execution, once), the new execution starts
/// from the cursor in the job's phase, and this one ends.
/// </summary>
public sealed class HandOverStep<TState>(WorkflowDefinition workflow, IJobStore jobs, IWorkflowStarter starter, IAuditJournal audit, TimeProvider clock, Func<TState, TState> handedOver)
    : WorkflowStep<TState>(workflow, jobs, audit, clock)
    where TState : IPagedWorkflowState
{
    public override async Task<TState> RunAsync(TState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        await Jobs.AdvanceExecutionAsync(state.TenantId, state.JobId, state.Execution, Workflow.HandOverPhases, cancellationToken);
        var job = await Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken);
        if (job is not { Status: JobStatus.Running } || !Workflow.Runs(job.Type) || !Workflow.HandOverPhases.Contains(job.Phase, StringComparer.Ordinal) || job.Execution != state.Execution + 1)
        {
            // Superseded, closed, or paused meanwhile (releasing a hold resumes it): nothing to hand over.
            throw new JobNotActiveException($"Job {state.JobId} is no longer this execution's to hand over.");
        }

        var next = new WorkflowInput(state.TenantId, state.JobId, job.Execution)
        {
            Resume = job.Phase,
            Cursor = state.Cursor,
            Page = state.Page,
            PageSize = state.PageSize,
            PagesPerExecution = state.PagesPerExecution,
        };
        await starter.StartCurrentAsync(Jobs, job, next, cancellationToken);
        return handedOver(state);
    }
}

/// <summary>Jobs that wait, paused on purpose, for something outside the workflow (a legal hold's release). A port of the reconciler.</summary>
public interface IPausedJobs
{
    /// <summary>Whether the job is paused on purpose: a stop or end of its execution is then no failure.</summary>
    bool IsPaused(Job job);

    /// <summary>Resumes the job if what paused it is gone; returns it when it was resumed now.</summary>
    Task<Job?> ResumeAsync(Job job, CancellationToken cancellationToken);
}
