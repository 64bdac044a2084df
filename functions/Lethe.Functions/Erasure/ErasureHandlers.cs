using System.Text.Json;
using System.Text.Json.Serialization;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Erasure;

/// <summary>The error a Catch hands on (<c>ResultPath: $.error</c>), named as Step Functions names it.</summary>
public sealed record StepError([property: JsonPropertyName("Error")] string? Error, [property: JsonPropertyName("Cause")] string? Cause);

public sealed record FailedStepInput(string TenantId, string JobId, int Execution, StepError? Error);

public sealed record FailureRecorded(string JobId, string Status);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ErasureState))]
[JsonSerializable(typeof(WorkflowInput))]
[JsonSerializable(typeof(FailedStepInput))]
[JsonSerializable(typeof(FailureRecorded))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class ErasureJsonContext : JsonSerializerContext;

/// <summary>One Task state of workflows/deletion.asl.json.</summary>
public sealed class ErasureStepHandler(Func<ErasureState, CancellationToken, Task<ErasureState>> step)
    : Jobs.WorkflowStepHandler<ErasureState>(ErasureJsonContext.Default.ErasureState, "deletion", s => (s.TenantId, s.JobId, s.Execution), step);

/// <summary>The Catch of every Task: records the failure on the job and in the audit, then the workflow ends in Fail.</summary>
public sealed class ErasureFailureHandler(ErasureComposition composition)
    : LambdaHandler<FailedStepInput, FailureRecorded>(ErasureJsonContext.Default.FailedStepInput, ErasureJsonContext.Default.FailureRecorded)
{
    protected override async Task<FailureRecorded> HandleAsync(FailedStepInput input, ILambdaContext context, CancellationToken cancellationToken)
    {
        await composition.Steps.RecordFailureAsync(
            input.TenantId, input.JobId, input.Execution, input.Error?.Error ?? "States.Unknown", input.Error?.Cause ?? "no cause given", cancellationToken);
        var job = await composition.Jobs.FindAsync(input.TenantId, input.JobId, cancellationToken);
        return new FailureRecorded(input.JobId, job is null ? "unknown" : JobStatuses.Name(job.Status));
    }
}

/// <summary>
/// Hands the loop over to a fresh execution <c>{jobId}-{n+1}</c> (raised by a conditional write, so a replay starts the same
/// one) well before the 25,000-event history limit; this execution then ends.
/// </summary>
public sealed class ErasureHandOverHandler(ErasureComposition composition)
    : LambdaHandler<ErasureState, ErasureState>(ErasureJsonContext.Default.ErasureState, ErasureJsonContext.Default.ErasureState)
{
    protected override async Task<ErasureState> HandleAsync(ErasureState input, ILambdaContext context, CancellationToken cancellationToken)
    {
        var jobs = composition.Jobs;
        await jobs.AdvanceExecutionAsync(input.TenantId, input.JobId, input.Execution, cancellationToken);
        var job = await jobs.FindAsync(input.TenantId, input.JobId, cancellationToken);
        if (job is not { Status: JobStatus.Running, Phase: JobPhases.SoftDelete or JobPhases.Purge } || job.Execution != input.Execution + 1)
        {
            // Superseded, closed, or paused by a hold meanwhile (releasing the hold resumes it): nothing to hand over.
            throw new JobNotActiveException($"Job {input.JobId} is no longer this execution's to hand over.");
        }

        var next = new WorkflowInput(input.TenantId, input.JobId, job.Execution)
        {
            Resume = job.Phase == JobPhases.Purge ? JobPhases.Purge : JobPhases.SoftDelete,
            Cursor = input.Cursor,
            Page = input.Page,
            PageSize = input.PageSize,
            PagesPerExecution = input.PagesPerExecution,
        };
        var arn = await composition.Workflows.StartAsync(job, next, cancellationToken);
        await jobs.SetExecutionArnAsync(job.TenantId, job.Id, job.Execution, arn, cancellationToken);
        return input with { HandOver = true, More = false };
    }
}

/// <summary>Records that the backups must be scrubbed of the subject (deletion + 30 days, on the tenant's time scale).</summary>
public sealed class ErasureScheduleScrubHandler(ErasureComposition composition)
    : LambdaHandler<ErasureState, ErasureState>(ErasureJsonContext.Default.ErasureState, ErasureJsonContext.Default.ErasureState)
{
    protected override async Task<ErasureState> HandleAsync(ErasureState input, ILambdaContext context, CancellationToken cancellationToken)
    {
        var tenant = await composition.Tenants.FindAsync(input.TenantId, cancellationToken);
        return await composition.Steps.ScheduleScrubAsync(input, tenant?.TimeScale ?? 1, cancellationToken);
    }
}
