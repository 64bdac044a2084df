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
/// changes the topic's subscriptions (the SNS SDK is not on our feed) and records each ARN on the tenant.
/// </summary>
public interface IEmailSubscriptions
{
    /// <summary>Starts the change for the tenant as saved at <paramref name="version"/> (one execution per saved version).</summary>
    Task StartAsync(string tenantId, long version, SubscriptionChange change, CancellationToken cancellationToken);
}

/// <summary>A subscription as the workflow's Subscribe map hands it on: the address and what SNS answered.</summary>
public sealed record SubscribedAddress(string Email)
{
    public SubscriptionResult? Subscription { get; init; }
}

public sealed record SubscriptionResult(string Arn);

/// <summary>The RecordSubscriptions state's input: the tenant, what was subscribed, what was removed.</summary>
public sealed record SubscriptionsToRecord(string TenantId)
{
    public IReadOnlyList<SubscribedAddress> Subscribed { get; init; } = [];

    public IReadOnlyList<EmailSubscription> Unsubscribed { get; init; } = [];
}

/// <summary>What RecordSubscriptions stored: how many subscriptions the tenant has on record now.</summary>
public sealed record SubscriptionsRecorded(string TenantId, int Recorded);

/// <summary>
/// RecordSubscriptions, the last state of workflows/email-subscriptions.asl.json: each new subscription's ARN recorded on the
/// tenant and each removed one dropped, in a save conditional on the version read (read again and reapplied on a race, so a
/// settings change meanwhile is never undone). A subscription recorded for an address no longer listed is removed by the next
/// settings change, which works from what is recorded.
/// </summary>
public sealed class RecordSubscriptionsStep(ITenantRepository tenants)
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
            foreach (var removed in input.Unsubscribed)
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

            if (recorded.Count == tenant.EmailSubscriptions.Count && recorded.All(r => tenant.EmailSubscriptions.TryGetValue(r.Key, out var same) && same == r.Value))
            {
                return new SubscriptionsRecorded(tenant.Id, recorded.Count);
            }

            if (await tenants.TrySaveAsync(tenant with { EmailSubscriptions = recorded }, cancellationToken))
            {
                return new SubscriptionsRecorded(tenant.Id, recorded.Count);
            }
        }

        throw new Errors.TransientException($"The subscriptions of tenant {input.TenantId} kept losing to other changes of the tenant; retrying.");
    }
}
