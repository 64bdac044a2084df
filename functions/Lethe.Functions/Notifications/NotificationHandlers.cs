using System.Text.Json;
using Lethe.Domain.Notifications;
using Lethe.Functions.Jobs;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Notifications;

/// <summary>ComposeNotice and RecordNotice of workflows/notify.asl.json (<see cref="NoticeSteps"/>): the notice checked, then composed or recorded.</summary>
public sealed class NoticeHandler(Func<NoticeState, CancellationToken, Task<NoticeState>> step)
    : LambdaHandler<NoticeState, NoticeState>(FunctionsJsonContext.Default.NoticeState, FunctionsJsonContext.Default.NoticeState)
{
    protected override Task<NoticeState> HandleAsync(NoticeState input, ILambdaContext context, CancellationToken cancellationToken) =>
        input is null || string.IsNullOrEmpty(input.TenantId) || string.IsNullOrEmpty(input.Event) || string.IsNullOrEmpty(input.RequestId)
            ? throw new HandlerInputException("A notice needs tenantId, event and requestId.")
            : step(input, cancellationToken);
}

/// <summary>PlanSubscriptions of workflows/email-subscriptions.asl.json: the change and the filter, from the stored tenant.</summary>
public sealed class SubscriptionsPlanHandler(PlanSubscriptionsStep step)
    : LambdaHandler<SubscriptionPlan, SubscriptionPlan>(FunctionsJsonContext.Default.SubscriptionPlan, FunctionsJsonContext.Default.SubscriptionPlan)
{
    protected override Task<SubscriptionPlan> HandleAsync(SubscriptionPlan input, ILambdaContext context, CancellationToken cancellationToken) =>
        input is null || !Domain.Tenancy.TenantId.IsWellFormed(input.TenantId)
            ? throw new HandlerInputException("PlanSubscriptions needs a tenantId.")
            : step.RunAsync(input, cancellationToken);
}

/// <summary>RecordSubscriptions of workflows/email-subscriptions.asl.json: each subscription's ARN recorded on the tenant.</summary>
public sealed class SubscriptionsRecordHandler(RecordSubscriptionsStep step)
    : LambdaHandler<SubscriptionsToRecord, SubscriptionsRecorded>(FunctionsJsonContext.Default.SubscriptionsToRecord, FunctionsJsonContext.Default.SubscriptionsRecorded)
{
    protected override Task<SubscriptionsRecorded> HandleAsync(SubscriptionsToRecord input, ILambdaContext context, CancellationToken cancellationToken) =>
        input is null || string.IsNullOrEmpty(input.TenantId)
            ? throw new HandlerInputException("RecordSubscriptions needs tenantId, subscribed and unsubscribed.")
            : step.RunAsync(input, cancellationToken);
}

/// <summary>What the daily overdue check did: the tenants it looked at and the requests it flagged now.</summary>
public sealed record OverdueCheckResult(int Tenants, int Flagged);

/// <summary>
/// The daily overdue check (EventBridge in AWS; the local cloud fires it on the scaled interval under <c>./lethe up</c>, tests
/// invoke it on demand): each late deletion or export raises <c>request.overdue</c> once. Input: the schedule event, or
/// <c>{"tenantIds":[…]}</c>.
/// </summary>
public sealed class RequestOverdueScheduleHandler(WorkflowComposition composition)
    : LambdaHandler<JsonElement, OverdueCheckResult>(FunctionsJsonContext.Default.JsonElement, FunctionsJsonContext.Default.OverdueCheckResult)
{
    protected override async Task<OverdueCheckResult> HandleAsync(JsonElement input, ILambdaContext context, CancellationToken cancellationToken)
    {
        var ids = await ScheduledTenants.IdsAsync(input, composition, cancellationToken);
        var flagged = 0;
        var failed = new List<string>();
        foreach (var id in ids)
        {
            try
            {
                flagged += await composition.Overdue.FlagAsync(id, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One tenant's trouble is that tenant's: the others are checked; the run then fails, naming the tenants and
                // the first error, so EventBridge retries it (what was flagged stays flagged and is not raised again).
                failed.Add($"{id}: {ex.GetType().Name}");
            }
        }

        return failed.Count == 0
            ? new OverdueCheckResult(ids.Count, flagged)
            : throw new InvalidOperationException($"The overdue check failed for {failed.Count} of {ids.Count} tenants ({string.Join(", ", failed.Take(10))}); {flagged} requests were flagged.");
    }
}
