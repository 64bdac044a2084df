using System.Text.Json;
using Lethe.Domain.Audit;
using Lethe.Domain.Notifications;

namespace Lethe.Domain.Jobs.Workflow;

/// <summary>
/// Keeps a job in step with its execution. In AWS an EventBridge rule sends every execution status change here, so a stop,
/// failure or redrive done in the Step Functions console shows in the API; the local cloud polls and sends the same. A
/// scheduled pass also starts executions that a crash kept from starting (the job stays queued, the name is fixed).
/// </summary>
public sealed class JobReconciler(
    IJobStore jobs, IWorkflowStarter workflows, IAuditJournal audit, TimeProvider clock, IPausedJobs paused, IReadOnlyList<WorkflowDefinition> definitions, INotifications notices)
{
    public static readonly AuditActor Actor = new("lethe-job-reconciler", "system");

    /// <summary>A queued job this old without an execution was not started by its submitter.</summary>
    public static readonly TimeSpan StartGrace = TimeSpan.FromSeconds(30);

    /// <summary>Applies an execution status (<c>RUNNING</c>, <c>SUCCEEDED</c>, <c>FAILED</c>, <c>TIMED_OUT</c>, <c>ABORTED</c>) of <c>{jobId}-{n}</c>.</summary>
    public async Task<bool> ApplyAsync(string tenantId, string executionName, string status, string? error, CancellationToken cancellationToken)
    {
        var dash = executionName.LastIndexOf('-');
        if (dash <= 0 || !int.TryParse(executionName.AsSpan(dash + 1), System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        var job = await jobs.FindAsync(tenantId, executionName[..dash], cancellationToken);
        if (job is null || job.Execution != n)
        {
            // Not ours, or an earlier execution that handed over: only the current execution speaks for the job.
            return false;
        }

        var now = clock.GetUtcNow();
        if (paused.IsPaused(job) && status is "ABORTED" or "SUCCEEDED")
        {
            // A paused job's execution was stopped, or ended, on purpose: the job waits for what paused it to end.
            return false;
        }

        JobUpdate? update = status switch
        {
            "FAILED" or "TIMED_OUT" when JobStatuses.IsOpen(job.Status) =>
                JobTransitions.Fail(job.Type, $"The execution {executionName} ended {status}{(error is null ? "" : $": {error}")}.", now),
            "ABORTED" when JobStatuses.IsOpen(job.Status) => job.IsCancellable
                ? JobTransitions.Cancel(job.Type, null, now)
                : JobTransitions.Fail(job.Type, $"The execution {executionName} was stopped during {job.Phase}; retry the request to finish it.", now),

            // A redrive in the console: the job runs again.
            "RUNNING" when job.Status == JobStatus.Failed => JobTransitions.Redrive(job.Type, now),
            _ => null,
        };
        return update is not null && await RecordAsync(job, executionName, status, update, cancellationToken);
    }

    /// <summary>Applies the update that an execution's status calls for, then audits it (and tells the tenant of a failure).</summary>
    private async Task<bool> RecordAsync(Job job, string executionName, string status, JobUpdate update, CancellationToken cancellationToken)
    {
        var tenantId = job.TenantId;
        var now = clock.GetUtcNow();
        if (await jobs.TryUpdateAsync(tenantId, job.Id, update, cancellationToken) is not { } changed)
        {
            return false;
        }

        using var details = JsonDocument.Parse($"{{\"execution\":\"{executionName}\",\"executionStatus\":\"{status}\"}}");
        await audit.AppendAsync(new AuditEvent(
            $"{executionName}:status:{status}", tenantId, now, Actor, "request.status", $"request/{job.Id}", JobStatuses.Name(changed.Status), details.RootElement.Clone()), cancellationToken);
        if (changed.Status == JobStatus.Failed)
        {
            await notices.TrySendAsync(changed, NotificationEvents.RequestFailed, now, cancellationToken, changed.Execution);
        }

        return true;
    }

    /// <summary>
    /// One reconciliation pass over the open jobs (of the given tenants, or all); returns how many were changed or started. A
    /// job whose lookup or start fails (throttled, refused) is left to the next pass while the others go on; the pass then
    /// fails with those errors, so the failure still shows.
    /// </summary>
    public async Task<int> ReconcileAsync(IReadOnlySet<string>? tenantIds, CancellationToken cancellationToken)
    {
        var changed = 0;
        var open = (await jobs.ListOpenAsync(cancellationToken)).Where(job => tenantIds is null || tenantIds.Contains(job.TenantId)).ToList();
        var ended = await EndedExecutionsAsync(open, cancellationToken);
        var failures = new List<Exception>();
        foreach (var job in open)
        {
            try
            {
                if (await ReconcileAsync(job, ended, cancellationToken))
                {
                    changed++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Add(ex);
            }
        }

        return failures.Count == 0
            ? changed
            : throw new AggregateException($"The reconciliation changed {changed} jobs; {failures.Count} could not be reconciled and wait for the next pass.", failures);
    }

    private async Task<bool> ReconcileAsync(Job job, IReadOnlyDictionary<JobType, EndedExecutions> ended, CancellationToken cancellationToken)
    {
        if (paused.IsPaused(job))
        {
            // A release that raced the pause (or a resume whose start failed before the phase moved) is made good here.
            return await paused.ResumeAsync(job, cancellationToken) is not null;
        }

        // A started execution that is not among the ended ones is running (or succeeded, which changes nothing): only a job
        // whose current execution has no ARN yet, or was last seen running long ago, is looked up on its own.
        var listed = IsListable(job) && ended.TryGetValue(job.Type, out var known) && job.CreatedAt - ListingSkew >= known.CoveredSince
            ? known
            : null;
        var status = listed is null ? await workflows.StatusAsync(job, cancellationToken) : listed.ByName.GetValueOrDefault(job.ExecutionName, "RUNNING");
        if (status is null)
        {
            return job.ExecutionArn is null ? await StartUnstartedAsync(job, cancellationToken) : await FailForgottenAsync(job, cancellationToken);
        }

        if (status == "RUNNING")
        {
            if (job.ExecutionArn is not null && !IsListable(job))
            {
                // Running still: a listing will show its end for the next 85 days at least.
                await jobs.MarkExecutionSeenAsync(job.TenantId, job.Id, job.Execution, clock.GetUtcNow(), cancellationToken);
            }

            return false;
        }

        return await ApplyAsync(job.TenantId, job.ExecutionName, status, null, cancellationToken);
    }

    /// <summary>A job whose current execution never started (no ARN, none of that name): started after the grace.</summary>
    private async Task<bool> StartUnstartedAsync(Job job, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (job.Status == JobStatus.Queued && now - job.CreatedAt >= StartGrace)
        {
            await workflows.StartCurrentAsync(jobs, job, cancellationToken);
            return true;
        }

        if (job.Status == JobStatus.Running && now - job.UpdatedAt >= StartGrace && definitions.FirstOrDefault(d => d.Runs(job.Type)) is { } workflow
            && workflow.RestartPhases.Contains(job.Phase, StringComparer.Ordinal))
        {
            // A retry, hand-over or resume raised n and died before starting {jobId}-{n}: start it where it was
            // (a retry from validate starts from the beginning).
            var resume = job.Phase == workflow.RestartPhases[0] ? null : job.Phase;
            await workflows.StartCurrentAsync(jobs, job, new WorkflowInput(job.TenantId, job.Id, job.Execution) { Resume = resume }, cancellationToken);
            return true;
        }

        return false;
    }

    /// <summary>
    /// A job whose execution started (it has an ARN) but which Step Functions no longer knows: it closed more than 90 days ago
    /// and its end was missed. Nothing is run again unseen (a purge, a webhook, a certificate): the job fails with the reason,
    /// in the audit and to the tenant, and a retry finishes it.
    /// </summary>
    private async Task<bool> FailForgottenAsync(Job job, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var update = JobTransitions.Fail(job.Type, $"The execution {job.ExecutionName} is no longer known to Step Functions (it closed more than 90 days ago and its end was missed) while the request stayed {JobStatuses.Name(job.Status)} in {job.Phase}; retry the request to finish it.", now);
        return await RecordAsync(job, job.ExecutionName, "FORGOTTEN", update, cancellationToken);
    }

    /// <summary>Room for a clock difference between this process and Step Functions when listing executions by start time.</summary>
    public static readonly TimeSpan ListingSkew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Step Functions forgets a closed execution 90 days after it closed: it is neither listed nor described. An execution last
    /// seen running this long ago may be such a one, and judged from a listing it would pass for running forever; it is looked
    /// up on its own instead (once: found running, it is marked seen and listed again for as long).
    /// </summary>
    public static readonly TimeSpan ListedExecutionAge = TimeSpan.FromDays(85);

    /// <summary>
    /// A job whose execution's end, if it ended, a listing would show: it closed after it was last seen running (when it started,
    /// or a lone lookup found it running); jobs from before that was recorded count from their last change.
    /// </summary>
    private bool IsListable(Job job) => job.ExecutionArn is not null && clock.GetUtcNow() - (job.ExecutionSeenAt ?? job.UpdatedAt) < ListedExecutionAge;

    /// <summary>
    /// The ended executions of the open jobs' workflows, per job type: one listing per workflow and ending status, back to the
    /// oldest open job with a started execution (its executions cannot have started before it was created). A pass over
    /// thousands of uploads waiting days for review costs a few calls, not a DescribeExecution each. A type whose listing
    /// failed (throttled, refused) is left out: its jobs are looked up one by one, and the rest of the pass goes on.
    /// </summary>
    private async Task<IReadOnlyDictionary<JobType, EndedExecutions>> EndedExecutionsAsync(IReadOnlyList<Job> open, CancellationToken cancellationToken)
    {
        var ended = new Dictionary<JobType, EndedExecutions>();
        foreach (var group in open.Where(job => IsListable(job) && !paused.IsPaused(job)).GroupBy(job => job.Type))
        {
            try
            {
                ended[group.Key] = await workflows.EndedSinceAsync(group.Key, group.Min(job => job.CreatedAt) - ListingSkew, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Described one by one below, as before the listing existed.
            }
        }

        return ended;
    }
}
