using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Notifications;

/// <summary>One recorded subscription of an address to the notifications topic: the address and the subscription's ARN.</summary>
public sealed record EmailSubscription(string Email, string Arn);

/// <summary>
/// What keeps a tenant's e-mail subscriptions in step with its <c>notifications.emails</c>: the addresses to subscribe (new to
/// the list) and the recorded subscriptions to remove (taken off it, or subscribed for a list that changed meanwhile).
/// </summary>
public sealed record SubscriptionChange(IReadOnlyList<string> Subscribe, IReadOnlyList<EmailSubscription> Unsubscribe)
{
    public bool IsEmpty => Subscribe.Count == 0 && Unsubscribe.Count == 0;

    /// <summary>The change that brings <paramref name="tenant"/>'s recorded subscriptions to its settings' addresses.</summary>
    public static SubscriptionChange For(Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var wanted = tenant.Requests.NotificationEmails;
        var recorded = tenant.EmailSubscriptions;
        return new(
            [.. wanted.Where(e => !recorded.ContainsKey(e))],
            [.. recorded.Where(r => !wanted.Contains(r.Key, StringComparer.Ordinal)).Select(r => new EmailSubscription(r.Key, r.Value))]);
    }
}

/// <summary>
/// The e-mail subscriptions port (ADR 0016): in AWS and locally an execution of workflows/email-subscriptions.asl.json, which
/// works out the change from the tenant as stored, changes the topic's subscriptions (the SNS SDK is not on our feed) and
/// records each ARN on the tenant. Nothing but the tenant id goes in: a caller cannot name addresses, ARNs or filters.
/// </summary>
public interface IEmailSubscriptions
{
    /// <summary>Starts bringing the tenant's subscriptions in step with its stored settings.</summary>
    Task StartAsync(string tenantId, CancellationToken cancellationToken);
}

/// <summary>For tests and tools that change no subscriptions. Never composed in a deployed function.</summary>
public sealed class EmailSubscriptionsOff : IEmailSubscriptions
{
    public static EmailSubscriptionsOff Instance { get; } = new();

    public Task StartAsync(string tenantId, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The workflow's input and PlanSubscriptions' output: the change, and the filter each new subscription gets.</summary>
public sealed record SubscriptionPlan(string TenantId)
{
    public string FilterPolicy { get; init; } = "";

    public IReadOnlyList<string> Subscribe { get; init; } = [];

    public IReadOnlyList<EmailSubscription> Unsubscribe { get; init; } = [];
}

/// <summary>
/// PlanSubscriptions, the first state: the change that brings the tenant's recorded subscriptions to its stored addresses, and the
/// filter policy (its own tenant id, audience tenant), built here, never taken from a caller.
/// </summary>
public sealed class PlanSubscriptionsStep(ITenantRepository tenants)
{
    public async Task<SubscriptionPlan> RunAsync(SubscriptionPlan input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var tenant = await tenants.FindAsync(input.TenantId, cancellationToken);
        if (tenant is null)
        {
            return new SubscriptionPlan(input.TenantId);
        }

        var change = SubscriptionChange.For(tenant);
        var filter = new System.Text.Json.Nodes.JsonObject
        {
            ["tenantId"] = new System.Text.Json.Nodes.JsonArray(tenant.Id),
            ["audience"] = new System.Text.Json.Nodes.JsonArray(NoticeSteps.TenantAudience),
        };
        return new SubscriptionPlan(tenant.Id) { FilterPolicy = filter.ToJsonString(), Subscribe = change.Subscribe, Unsubscribe = change.Unsubscribe };
    }
}

/// <summary>A subscription as the workflow's Subscribe map hands it on: the address and what SNS answered (null: it refused).</summary>
public sealed record SubscribedAddress(string Email)
{
    public SubscriptionResult? Subscription { get; init; }
}

public sealed record SubscriptionResult(string Arn);

/// <summary>A removal as the Unsubscribe map hands it on: the address, the ARN, and whether it is gone.</summary>
public sealed record RemovedSubscription(string Email, string Arn, bool Removed);

/// <summary>The RecordSubscriptions state's input: the tenant, what was subscribed, what was removed.</summary>
public sealed record SubscriptionsToRecord(string TenantId)
{
    public IReadOnlyList<SubscribedAddress> Subscribed { get; init; } = [];

    public IReadOnlyList<RemovedSubscription> Unsubscribed { get; init; } = [];
}

/// <summary>What RecordSubscriptions stored: how many subscriptions the tenant has on record now.</summary>
public sealed record SubscriptionsRecorded(string TenantId, int Recorded);

/// <summary>Some addresses could not be subscribed or unsubscribed: the rest is recorded; the execution fails so the alarm counts it.</summary>
public sealed class SubscriptionsIncompleteException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.SubscriptionsIncomplete";
}

/// <summary>
/// RecordSubscriptions, the last state: each new subscription's ARN recorded on the tenant and each removed one dropped (only
/// those SNS confirmed gone: an ARN whose removal failed stays on record for the next run), in a save conditional on the version
/// read (read again and reapplied on a race, so a settings change meanwhile is never undone). When the settings changed while
/// this run worked, another run is started for what is left. Addresses SNS refused fail the run after the rest is recorded.
/// </summary>
public sealed class RecordSubscriptionsStep(ITenantRepository tenants, IEmailSubscriptions subscriptions)
{
    private const int MaxAttempts = 8;

    public async Task<SubscriptionsRecorded> RunAsync(SubscriptionsToRecord input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var tenant = await tenants.FindAsync(input.TenantId, cancellationToken);
            if (tenant is null)
            {
                // Gone meanwhile (never created, or purged): nothing to record on.
                return new SubscriptionsRecorded(input.TenantId, 0);
            }

            var recorded = new Dictionary<string, string>(tenant.EmailSubscriptions, StringComparer.Ordinal);
            foreach (var removed in input.Unsubscribed.Where(u => u.Removed))
            {
                if (recorded.TryGetValue(removed.Email, out var arn) && arn == removed.Arn)
                {
                    recorded.Remove(removed.Email);
                }
            }

            foreach (var added in input.Subscribed.Where(s => s.Subscription is { Arn.Length: > 0 }))
            {
                recorded[added.Email] = added.Subscription!.Arn;
            }

            var saved = tenant with { EmailSubscriptions = recorded };
            var unchanged = recorded.Count == tenant.EmailSubscriptions.Count
                && recorded.All(r => tenant.EmailSubscriptions.TryGetValue(r.Key, out var same) && same == r.Value);
            if (unchanged || await tenants.TrySaveAsync(saved, cancellationToken))
            {
                await FollowUpAsync(input, saved, cancellationToken);
                return new SubscriptionsRecorded(tenant.Id, recorded.Count);
            }
        }

        throw new Errors.TransientException($"The subscriptions of tenant {input.TenantId} kept losing to other changes of the tenant; retrying.");
    }

    private async Task FollowUpAsync(SubscriptionsToRecord input, Tenant saved, CancellationToken cancellationToken)
    {
        // What the settings ask for now that this run did not try: they changed while it worked.
        var tried = input.Subscribed.Select(s => s.Email).Concat(input.Unsubscribed.Select(u => u.Email)).ToHashSet(StringComparer.Ordinal);
        var left = SubscriptionChange.For(saved);
        if (left.Subscribe.Concat(left.Unsubscribe.Select(u => u.Email)).Any(e => !tried.Contains(e)))
        {
            await subscriptions.StartAsync(saved.Id, cancellationToken);
        }

        var refused = input.Subscribed.Count(s => s.Subscription is null) + input.Unsubscribed.Count(u => !u.Removed);
        if (refused > 0)
        {
            // Counts only: the addresses are the tenant's staff's personal data.
            throw new SubscriptionsIncompleteException($"{refused} of the tenant's subscription changes were refused by SNS; the rest is recorded. The next settings change tries them again.");
        }
    }
}
