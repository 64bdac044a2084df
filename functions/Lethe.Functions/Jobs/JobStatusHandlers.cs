using System.Text.Json;
using Lethe.Domain.Tenancy;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Jobs;

public sealed record JobStatusResult(string? Execution, string? Status, bool Changed);

/// <summary>Tenants is -1 when every tenant was looked at.</summary>
public sealed record ReconcileResult(int Tenants, int Changed);

/// <summary>What the daily sweep did: tenants looked at, items purged, held and failed, abandoned uploads given up.</summary>
public sealed record SweepSummary(int Tenants, int Purged, int Held, int Failed, int AbandonedUploads);

/// <summary>
/// The EventBridge rule on "Step Functions Execution Status Change" of Lethe's workflows: a stop, failure or redrive done in
/// the console shows in the job. The tenant comes from the execution's own input, never from the event's sender.
/// </summary>
public sealed class JobStatusHandler(WorkflowComposition composition)
    : LambdaHandler<JsonElement, JobStatusResult>(FunctionsJsonContext.Default.JsonElement, FunctionsJsonContext.Default.JobStatusResult)
{
    protected override async Task<JobStatusResult> HandleAsync(JsonElement input, ILambdaContext context, CancellationToken cancellationToken)
    {
        if (input.ValueKind != JsonValueKind.Object || !input.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.Object)
        {
            throw new HandlerInputException("A Step Functions execution status change event (with detail) is expected.");
        }

        var name = Text(detail, "name");
        var status = Text(detail, "status");
        string? tenantId = null;
        if (Text(detail, "input") is { } executionInput)
        {
            using var parsed = JsonDocument.Parse(executionInput);
            tenantId = Text(parsed.RootElement, "tenantId");
        }

        if (name is null || status is null || !TenantId.IsWellFormed(tenantId))
        {
            return new JobStatusResult(name, status, false);
        }

        var changed = await composition.Reconciler.ApplyAsync(tenantId!, name, status, Text(detail, "error"), cancellationToken);
        return new JobStatusResult(name, status, changed);
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>
/// The reconciliation schedule (every 5 minutes in AWS; continuously under the local cloud): starts executions a crash kept
/// from starting and applies any status change the event rule missed. Input: the schedule event, or <c>{"tenantIds":[…]}</c>.
/// </summary>
public sealed class JobsReconcileHandler(WorkflowComposition composition)
    : LambdaHandler<JsonElement, ReconcileResult>(FunctionsJsonContext.Default.JsonElement, FunctionsJsonContext.Default.ReconcileResult)
{
    protected override async Task<ReconcileResult> HandleAsync(JsonElement input, ILambdaContext context, CancellationToken cancellationToken)
    {
        HashSet<string>? ids = input.ValueKind == JsonValueKind.Object && input.TryGetProperty("tenantIds", out var chosen) && chosen.ValueKind == JsonValueKind.Array
            ? chosen.EnumerateArray().Select(e => e.GetString()).Where(TenantId.IsWellFormed).Select(id => id!).ToHashSet(StringComparer.Ordinal)
            : null;
        var changed = await composition.Reconciler.ReconcileAsync(ids, cancellationToken);
        return new ReconcileResult(ids?.Count ?? -1, changed);
    }
}

/// <summary>
/// The soft-delete sweep (with the daily retention schedule in AWS; on demand locally): purges what cancelled erasures left
/// soft-deleted once its window has ended. Input: the schedule event, or <c>{"tenantIds":[…]}</c>.
/// </summary>
public sealed class SoftDeleteSweepHandler(WorkflowComposition composition)
    : LambdaHandler<JsonElement, SweepSummary>(FunctionsJsonContext.Default.JsonElement, FunctionsJsonContext.Default.SweepSummary)
{
    protected override async Task<SweepSummary> HandleAsync(JsonElement input, ILambdaContext context, CancellationToken cancellationToken)
    {
        var ids = await ScheduledTenants.IdsAsync(input, composition, cancellationToken);
        var results = new List<Domain.Erasure.SweepResult>();
        var abandoned = 0;
        foreach (var tenant in ids)
        {
            // Abandoned uploads first: their items leave with this very sweep.
            abandoned += await composition.AbandonedUploads.SweepAsync(tenant, cancellationToken);
            results.Add(await composition.Sweep.SweepAsync(tenant, cancellationToken));
        }

        return new SweepSummary(ids.Count, results.Sum(r => r.Purged), results.Sum(r => r.Held), results.Sum(r => r.Failed), abandoned);
    }
}

/// <summary>What the daily retention schedule did: the tenants it looked at and the sweeps it started.</summary>
public sealed record RetentionScheduleResult(int Tenants, int Started);

/// <summary>
/// The daily retention schedule (EventBridge in AWS; the local cloud fires it on the scaled interval under <c>./lethe up</c>, tests
/// invoke it on demand): starts a retention sweep (workflows/retention-sweep.asl.json) for every active tenant that has none
/// running. Input: the schedule event, or <c>{"tenantIds":[…]}</c>.
/// </summary>
public sealed class RetentionScheduleHandler(WorkflowComposition composition)
    : LambdaHandler<JsonElement, RetentionScheduleResult>(FunctionsJsonContext.Default.JsonElement, FunctionsJsonContext.Default.RetentionScheduleResult)
{
    protected override async Task<RetentionScheduleResult> HandleAsync(JsonElement input, ILambdaContext context, CancellationToken cancellationToken)
    {
        var ids = await ScheduledTenants.IdsAsync(input, composition, cancellationToken);
        var tenants = new List<Domain.Tenancy.Tenant>();
        foreach (var id in ids)
        {
            if (await composition.Tenants.FindAsync(id, cancellationToken) is { } tenant)
            {
                tenants.Add(tenant);
            }
        }

        return new RetentionScheduleResult(tenants.Count, await composition.RetentionSweeps.SubmitForEachAsync(tenants, cancellationToken));
    }
}

/// <summary>The tenants a daily schedule runs for: those an on-demand call names (<c>{"tenantIds":[…]}</c>), else every tenant.</summary>
internal static class ScheduledTenants
{
    public static async Task<IReadOnlyList<string>> IdsAsync(JsonElement input, WorkflowComposition composition, CancellationToken cancellationToken) =>
        input.ValueKind == JsonValueKind.Object && input.TryGetProperty("tenantIds", out var chosen) && chosen.ValueKind == JsonValueKind.Array
            ? chosen.EnumerateArray().Select(e => e.GetString()).Where(TenantId.IsWellFormed).Select(id => id!).ToList()
            : await composition.Tenants.ListIdsAsync(cancellationToken);
}
