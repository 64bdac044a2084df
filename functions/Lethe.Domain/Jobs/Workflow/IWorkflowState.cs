namespace Lethe.Domain.Jobs.Workflow;

/// <summary>What every workflow state names: the job and the execution that carries it (<c>{jobId}-{n}</c>).</summary>
public interface IWorkflowState
{
    string TenantId { get; }

    string JobId { get; }

    int Execution { get; }
}

/// <summary>One Task state of a job workflow: runs with the state the workflow carries and returns the next one.</summary>
public interface IWorkflowStep<TState>
    where TState : IWorkflowState
{
    Task<TState> RunAsync(TState state, CancellationToken cancellationToken);
}

/// <summary>The job is not in a state this step can act on (cancelled, finished, superseded, or unknown).</summary>
public sealed class JobNotActiveException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.JobNotActive";

    public override string ErrorType => Name;
}
