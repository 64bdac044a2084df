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
}
