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

    public Task<string?> StatusAsync(Job job, CancellationToken cancellationToken) =>
        Task.FromResult(Started.Contains(job.ExecutionName) ? "RUNNING" : null);
}
