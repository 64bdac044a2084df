using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Jobs;

/// <summary>
/// One Task state of a job workflow (deletion, export): parse the state, check that it names a job, run the state's step class,
/// return the next state. Each state is its own Lambda function (its own <c>_HANDLER</c>); they differ only in the step they run.
/// </summary>
public sealed class WorkflowStepHandler<TState>(JsonTypeInfo<TState> json, IWorkflowStep<TState> step) : LambdaHandler<TState, TState>(json, json)
    where TState : IWorkflowState
{
    protected override Task<TState> HandleAsync(TState input, ILambdaContext context, CancellationToken cancellationToken)
    {
        if (input is null || string.IsNullOrEmpty(input.TenantId) || string.IsNullOrEmpty(input.JobId) || input.Execution < 1)
        {
            throw new HandlerInputException("A workflow step needs tenantId, jobId and execution ≥ 1.");
        }

        return step.RunAsync(input, cancellationToken);
    }
}

/// <summary>The error a Catch hands on (<c>ResultPath: $.error</c>), named as Step Functions names it.</summary>
public sealed record StepError([property: JsonPropertyName("Error")] string? Error, [property: JsonPropertyName("Cause")] string? Cause);

public sealed record FailedStepInput(string TenantId, string JobId, int Execution, StepError? Error);

public sealed record FailureRecorded(string JobId, string Status);

/// <summary>RecordFailure, the Catch of every Task of a workflow: records the failure on the job and in the audit; the workflow then ends in Fail.</summary>
public sealed class RecordFailureHandler(IWorkflowStep<FailedStep> step)
    : LambdaHandler<FailedStepInput, FailureRecorded>(FunctionsJsonContext.Default.FailedStepInput, FunctionsJsonContext.Default.FailureRecorded)
{
    protected override async Task<FailureRecorded> HandleAsync(FailedStepInput input, ILambdaContext context, CancellationToken cancellationToken)
    {
        if (input is null || string.IsNullOrEmpty(input.TenantId) || string.IsNullOrEmpty(input.JobId) || input.Execution < 1)
        {
            throw new HandlerInputException("RecordFailure needs tenantId, jobId and execution ≥ 1.");
        }

        var recorded = await step.RunAsync(
            new FailedStep(input.TenantId, input.JobId, input.Execution, input.Error?.Error ?? "States.Unknown", input.Error?.Cause ?? "no cause given"), cancellationToken);
        return new FailureRecorded(input.JobId, recorded.JobStatus);
    }
}
