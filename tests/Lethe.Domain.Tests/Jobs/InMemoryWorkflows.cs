using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Tests.Jobs;

/// <summary>A workflow starter that records what it was asked to start and stop; an execution it started reads RUNNING.</summary>
public sealed class InMemoryWorkflows : IWorkflowStarter
{
    public List<string> Started { get; } = [];

    public List<WorkflowInput> Inputs { get; } = [];

    public Task<string> StartAsync(Job job, WorkflowInput input, CancellationToken cancellationToken)
    {
        Inputs.Add(input);
        Started.Add(Job.ExecutionNameOf(job.Id, input.Execution));
        return Task.FromResult($"arn:{Job.ExecutionNameOf(job.Id, input.Execution)}");
    }

    public List<string> Stopped { get; } = [];

    public Task StopAsync(Job job, string cause, CancellationToken cancellationToken)
    {
        Stopped.Add(job.ExecutionName);
        return Task.CompletedTask;
    }

    /// <summary>Executions to report as ended (name → FAILED, TIMED_OUT or ABORTED), as if Step Functions had ended them.</summary>
    public Dictionary<string, string> Ended { get; } = new(StringComparer.Ordinal);

    /// <summary>How many single executions were looked up (a pass lists ended executions instead where it can).</summary>
    public int StatusLookups { get; private set; }

    public Task<string?> StatusAsync(Job job, CancellationToken cancellationToken)
    {
        StatusLookups++;
        if (FailingLookups.Contains(job.ExecutionName))
        {
            return Task.FromException<string?>(new InvalidOperationException("ThrottlingException"));
        }

        if (Forgotten.Contains(job.ExecutionName))
        {
            return Task.FromResult<string?>(null);
        }

        return Task.FromResult(Ended.TryGetValue(job.ExecutionName, out var ended) ? ended : Started.Contains(job.ExecutionName) ? "RUNNING" : null);
    }

    /// <summary>Executions whose lookup fails (throttled after the client's retries).</summary>
    public HashSet<string> FailingLookups { get; } = new(StringComparer.Ordinal);

    /// <summary>Executions Step Functions has forgotten (closed more than 90 days ago): neither listed nor described.</summary>
    public HashSet<string> Forgotten { get; } = new(StringComparer.Ordinal);

    private Dictionary<string, string> Listed()
    {
        return Ended.Where(pair => !Forgotten.Contains(pair.Key)).ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
    }

    /// <summary>Set to make every listing fail (a throttled or refused ListExecutions).</summary>
    public Exception? ListingFailure { get; set; }

    /// <summary>The listings asked for, by job type and the time they reach back to.</summary>
    public List<(JobType Type, DateTimeOffset Since)> Listings { get; } = [];

    public Task<EndedExecutions> EndedSinceAsync(JobType type, DateTimeOffset since, CancellationToken cancellationToken)
    {
        Listings.Add((type, since));
        return ListingFailure is { } failure
            ? Task.FromException<EndedExecutions>(failure)
            : Task.FromResult(new EndedExecutions(Listed(), since));
    }
}
