using System.Text.Json.Serialization.Metadata;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Jobs;

/// <summary>
/// One Task state of a job workflow (deletion, export): parse the state, check that it names a job, run the step, return the
/// next state. Each state is its own Lambda function (its own <c>_HANDLER</c>); they differ only in the step they run.
/// </summary>
public abstract class WorkflowStepHandler<TState>(
    JsonTypeInfo<TState> json, string workflow, Func<TState, (string? TenantId, string? JobId, int Execution)> names, Func<TState, CancellationToken, Task<TState>> step)
    : LambdaHandler<TState, TState>(json, json)
{
    protected override Task<TState> HandleAsync(TState input, ILambdaContext context, CancellationToken cancellationToken)
    {
        var (tenantId, jobId, execution) = names(input);
        if (string.IsNullOrEmpty(tenantId) || string.IsNullOrEmpty(jobId) || execution < 1)
        {
            throw new HandlerInputException($"A {workflow} step needs tenantId, jobId and execution ≥ 1.");
        }

        return step(input, cancellationToken);
    }
}
