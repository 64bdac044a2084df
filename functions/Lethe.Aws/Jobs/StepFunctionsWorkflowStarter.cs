using System.Text.Json;
using System.Text.Json.Serialization;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Aws.Jobs;

/// <summary>
/// Starts, stops and describes a job's executions by their fixed name <c>{jobId}-{n}</c>: a second start of the same name
/// (a replayed submission, reconciliation after a crash) finds the execution already there and counts it as started.
/// </summary>
public sealed class StepFunctionsWorkflowStarter(StepFunctionsClient client, Func<JobType, string?> stateMachineArn) : IWorkflowStarter
{
    public async Task<string> StartAsync(Job job, WorkflowInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var machine = MachineFor(job);
        var name = Job.ExecutionNameOf(job.Id, input.Execution);
        try
        {
            var started = await client.StartExecutionAsync(
                new StartExecutionRequest(machine, name, JsonSerializer.Serialize(input, AwsJsonContext.Default.WorkflowInput)), cancellationToken);
            return started.ExecutionArn;
        }
        catch (ExecutionAlreadyExistsException)
        {
            return ExecutionArn(machine, name);
        }
    }

    public async Task StopAsync(Job job, string cause, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            await client.StopExecutionAsync(new StopExecutionRequest(ExecutionArn(MachineFor(job), job.ExecutionName), "Lethe.Cancelled", cause), cancellationToken);
        }
        catch (ExecutionDoesNotExistException)
        {
            // Never started (the job was cancelled while queued): nothing to stop.
        }
    }

    public async Task<string?> StatusAsync(Job job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            return (await client.DescribeExecutionAsync(ExecutionArn(MachineFor(job), job.ExecutionName), cancellationToken)).Status;
        }
        catch (ExecutionDoesNotExistException)
        {
            return null;
        }
    }

    /// <summary>Pages of 1,000 read per ending status in one pass; older ended executions are left to single lookups.</summary>
    public const int MaxListingPages = 5;

    public async Task<EndedExecutions> EndedSinceAsync(JobType type, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var ended = new Dictionary<string, string>(StringComparer.Ordinal);
        if (stateMachineArn(type) is not { } machine)
        {
            return new EndedExecutions(ended, since);
        }

        var after = since.ToUnixTimeMilliseconds() / 1000.0;
        var covered = since;
        foreach (var status in IWorkflowStarter.EndedStatuses)
        {
            string? next = null;
            var pages = 0;
            do
            {
                // Newest first (ListExecutions' order): the listing stops at the first execution older than `since`.
                var page = await client.ListExecutionsAsync(new ListExecutionsRequest(machine, status, MaxResults: 1000, NextToken: next), cancellationToken);
                foreach (var execution in page.Executions.TakeWhile(e => e.StartDate >= after))
                {
                    ended[execution.Name] = execution.Status;
                }

                var reachesBack = page.Executions.Count == 0 || page.Executions[^1].StartDate >= after;
                next = reachesBack ? page.NextToken : null;
                if (next is not null && ++pages >= MaxListingPages)
                {
                    // Thousands of ended executions since the oldest open job: what is older than the last one read is not known.
                    var reached = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(page.Executions[^1].StartDate * 1000));
                    covered = reached > covered ? reached : covered;
                    next = null;
                }
            }
            while (next is not null);
        }

        return new EndedExecutions(ended, covered);
    }

    /// <summary>arn:aws:states:r:a:stateMachine:M → arn:aws:states:r:a:execution:M:name.</summary>
    public static string ExecutionArn(string stateMachineArn, string name)
    {
        ArgumentNullException.ThrowIfNull(stateMachineArn);
        return stateMachineArn.Replace(":stateMachine:", ":execution:", StringComparison.Ordinal) + ":" + name;
    }

    private string MachineFor(Job job) =>
        stateMachineArn(job.Type) ?? throw new InvalidOperationException($"No workflow is configured for {DynamoJobStore.TypeName(job.Type)} jobs.");
}
