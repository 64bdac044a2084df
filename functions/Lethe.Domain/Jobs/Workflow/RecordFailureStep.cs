using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Notifications;

namespace Lethe.Domain.Jobs.Workflow;

/// <summary>The error a Catch hands on (<c>ResultPath: $.error</c>) with the job it happened to.</summary>
public sealed record FailedStep(string TenantId, string JobId, int Execution, string Error, string Cause) : IWorkflowState
{
    /// <summary>The job's status once the failure is recorded (<c>unknown</c> when there is no such job of this workflow).</summary>
    public string JobStatus { get; init; } = "unknown";
}

/// <summary>
/// RecordFailure, the Catch of every Task of every workflow: the job ends failed with the error (an erasure's lock ends with
/// it), the audit says why, once, and a request.failed notice goes out. A job closed already, superseded by a later execution, or paused on purpose is left alone.
/// </summary>
public sealed class RecordFailureStep(WorkflowDefinition workflow, IJobStore jobs, IAuditJournal audit, TimeProvider clock, INotifications notices)
    : WorkflowStep<FailedStep>(workflow, jobs, audit, clock)
{
    public override async Task<FailedStep> RunAsync(FailedStep state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken);
        if (job is null || !Workflow.Runs(job.Type))
        {
            return state;
        }

        if (job.Status == JobStatus.Failed && job.Execution == state.Execution)
        {
            // A replay of this very failure: the notice may not have gone out the first time (its name keeps it once).
            await notices.TrySendAsync(job, NotificationEvents.RequestFailed, Now, cancellationToken, job.Execution);
            return state with { JobStatus = JobStatuses.Name(job.Status) };
        }

        if (!JobStatuses.IsOpen(job.Status) || job.Execution != state.Execution || Workflow.IsPaused(job))
        {
            // Closed, superseded by a later execution, or paused on purpose (whose stop is what ended this execution):
            // not this failure's job to end.
            return state with { JobStatus = JobStatuses.Name(job.Status) };
        }

        var failed = await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Fail(job.Type, Workflow.FailureMessage(state.Error, state.Cause), Now), cancellationToken);
        await AuditOnceAsync(job, $"failed:{state.Execution}", $"{Workflow.AuditPrefix}.fail", AuditActions.Failure, new JsonObject { ["error"] = state.Error, ["phase"] = job.Phase }, cancellationToken);
        if (failed is not null)
        {
            // Someone has to act (retry, or close it): the tenant is told, with the request's id only.
            // Once per failed execution: a retried request that fails again is told again.
            await notices.TrySendAsync(failed, NotificationEvents.RequestFailed, Now, cancellationToken, failed.Execution);
        }
        return state with { JobStatus = JobStatuses.Name((failed ?? job).Status) };
    }
}
