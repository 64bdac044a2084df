using System.Text.Json.Serialization;
using Lethe.Domain.Exports;
using Lethe.Functions.Erasure;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Exports;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ExportState))]
[JsonSerializable(typeof(FailedStepInput))]
[JsonSerializable(typeof(FailureRecorded))]
internal sealed partial class ExportJsonContext : JsonSerializerContext;

/// <summary>One Task state of workflows/export.asl.json.</summary>
public sealed class ExportStepHandler(Func<ExportState, CancellationToken, Task<ExportState>> step)
    : Jobs.WorkflowStepHandler<ExportState>(ExportJsonContext.Default.ExportState, "export", s => (s.TenantId, s.JobId, s.Execution), step);

/// <summary>The Catch of every export Task: records the failure on the job and in the audit; the workflow then ends in Fail.</summary>
public sealed class ExportFailureHandler(ExportComposition composition)
    : LambdaHandler<FailedStepInput, FailureRecorded>(ExportJsonContext.Default.FailedStepInput, ExportJsonContext.Default.FailureRecorded)
{
    protected override async Task<FailureRecorded> HandleAsync(FailedStepInput input, ILambdaContext context, CancellationToken cancellationToken)
    {
        await composition.Steps.RecordFailureAsync(
            input.TenantId, input.JobId, input.Execution, input.Error?.Error ?? "States.Unknown", input.Error?.Cause ?? "no cause given", cancellationToken);
        return new FailureRecorded(input.JobId, "failed");
    }
}
