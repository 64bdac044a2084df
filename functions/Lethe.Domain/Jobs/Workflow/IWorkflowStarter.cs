namespace Lethe.Domain.Jobs.Workflow;

/// <summary>Starts the workflow of a job under the name <c>{jobId}-{n}</c>; an execution of that name already there counts as started. A port.</summary>
public interface IWorkflowStarter
{
    /// <summary>Returns the execution ARN.</summary>
    Task<string> StartAsync(Job job, WorkflowInput input, CancellationToken cancellationToken);

    /// <summary>Stops the job's current execution; an execution already closed or missing is fine.</summary>
    Task StopAsync(Job job, string cause, CancellationToken cancellationToken);

    /// <summary>The status of the execution <c>{jobId}-{n}</c>, or null when it does not exist.</summary>
    Task<string?> StatusAsync(Job job, CancellationToken cancellationToken);

    /// <summary>
    /// The executions of <paramref name="type"/>'s workflow that started at or after <paramref name="since"/> and ended other
    /// than succeeded (<see cref="EndedStatuses"/>), by execution name: what a reconciliation pass needs of many jobs in a
    /// few listings, instead of one look per job. A listing that stopped early (a page limit) says how far back it reached.
    /// </summary>
    Task<EndedExecutions> EndedSinceAsync(JobType type, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>The ending statuses a reconciliation acts on (a succeeded execution changes nothing).</summary>
    static IReadOnlyList<string> EndedStatuses { get; } = ["FAILED", "TIMED_OUT", "ABORTED"];
}

/// <param name="ByName">Ended executions by name, with their status.</param>
/// <param name="CoveredSince">Every ended execution that started at or after this time is in <paramref name="ByName"/>.</param>
public sealed record EndedExecutions(IReadOnlyDictionary<string, string> ByName, DateTimeOffset CoveredSince);

/// <summary>The one way a stored job's current execution starts.</summary>
public static class WorkflowStarts
{
    /// <summary>
    /// Starts the job's current execution (<c>{jobId}-{n}</c>) and records its ARN on the job. A start that fails leaves the job
    /// queued: reconciliation starts it (same execution name, so once).
    /// </summary>
    public static Task<Job> StartCurrentAsync(this IWorkflowStarter workflows, IJobStore jobs, Job job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return workflows.StartCurrentAsync(jobs, job, new WorkflowInput(job.TenantId, job.Id, job.Execution), cancellationToken);
    }

    /// <summary>
    /// Starts the job's current execution with <paramref name="input"/> (a resume, a hand-over's cursor) and records its ARN on
    /// the job. Should the start or the record fail, the reconciler finds the execution (same name, so it starts once).
    /// </summary>
    public static async Task<Job> StartCurrentAsync(this IWorkflowStarter workflows, IJobStore jobs, Job job, WorkflowInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(job);
        var arn = await workflows.StartAsync(job, input, cancellationToken);
        await jobs.SetExecutionArnAsync(job.TenantId, job.Id, job.Execution, arn, cancellationToken);
        return job with { ExecutionArn = arn };
    }
}
