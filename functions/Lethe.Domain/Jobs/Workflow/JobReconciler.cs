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
        if (update is null || await jobs.TryUpdateAsync(tenantId, job.Id, update, cancellationToken) is not { } changed)
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

    /// <summary>One reconciliation pass over the open jobs (of the given tenants, or all); returns how many were changed or started.</summary>
    public async Task<int> ReconcileAsync(IReadOnlySet<string>? tenantIds, CancellationToken cancellationToken)
    {
        var changed = 0;
        var open = (await jobs.ListOpenAsync(cancellationToken)).Where(job => tenantIds is null || tenantIds.Contains(job.TenantId)).ToList();
        var ended = await EndedExecutionsAsync(open, cancellationToken);
        foreach (var job in open)
        {
            if (paused.IsPaused(job))
            {
                // A release that raced the pause (or a resume whose start failed before the phase moved) is made good here.
                if (await paused.ResumeAsync(job, cancellationToken) is not null)
                {
                    changed++;
                }

                continue;
            }

            // A started execution that is not among the ended ones is running (or succeeded, which changes nothing): only a job
            // whose current execution has no ARN yet is looked up on its own, to find whether it ever started.
            var listed = IsListable(job) && ended.TryGetValue(job.Type, out var known) && job.CreatedAt - ListingSkew >= known.CoveredSince
                ? known
                : null;
            var status = listed is null ? await workflows.StatusAsync(job, cancellationToken) : listed.ByName.GetValueOrDefault(job.ExecutionName, "RUNNING");
            if (status is null)
            {
                var stale = clock.GetUtcNow() - job.UpdatedAt >= StartGrace;
                if (job.Status == JobStatus.Queued && clock.GetUtcNow() - job.CreatedAt >= StartGrace)
                {
                    var arn = await workflows.StartAsync(job, new WorkflowInput(job.TenantId, job.Id, job.Execution), cancellationToken);
                    await jobs.SetExecutionArnAsync(job.TenantId, job.Id, job.Execution, arn, cancellationToken);
                    changed++;
                }
                else if (job.Status == JobStatus.Running && stale && definitions.FirstOrDefault(d => d.Runs(job.Type)) is { } workflow
                    && workflow.RestartPhases.Contains(job.Phase, StringComparer.Ordinal))
                {
                    // A retry, hand-over or resume raised n and died before starting {jobId}-{n}: start it where it was
                    // (a retry from validate starts from the beginning).
                    var resume = job.Phase == workflow.RestartPhases[0] ? null : job.Phase;
                    var arn = await workflows.StartAsync(job, new WorkflowInput(job.TenantId, job.Id, job.Execution) { Resume = resume }, cancellationToken);
                    await jobs.SetExecutionArnAsync(job.TenantId, job.Id, job.Execution, arn, cancellationToken);
                    changed++;
                }

                continue;
            }

            if (status != "RUNNING" && await ApplyAsync(job.TenantId, job.ExecutionName, status, null, cancellationToken))
            {
                changed++;
            }
        }

        return changed;
    }

    /// <summary>Room for a clock difference between this process and Step Functions when listing executions by start time.</summary>
    public static readonly TimeSpan ListingSkew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Step Functions forgets a closed execution 90 days after it closed: it is neither listed nor described. A job untouched
    /// this long may have such an execution, and read from a listing it would pass for running forever; it is looked up on its
    /// own instead, where a forgotten execution reads as missing and the job is started again where it stood.
    /// </summary>
    public static readonly TimeSpan ListedExecutionAge = TimeSpan.FromDays(85);

    /// <summary>A job whose execution's end, if it ended, a listing would show.</summary>
    private bool IsListable(Job job) => job.ExecutionArn is not null && clock.GetUtcNow() - job.UpdatedAt < ListedExecutionAge;

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
