using Lethe.Domain.Notifications;
using Lethe.Domain.Policies;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;

namespace Lethe.Domain.Tests.Notifications;

public sealed class EmailSubscriptionsTests
{
    private static Tenant Tenant(IReadOnlyList<string> emails, Dictionary<string, string> recorded) =>
        new("acme", "Acme", TenantState.Active, DateTimeOffset.UnixEpoch, 1)
        {
            Requests = RequestSettings.Default with { NotificationEmails = emails },
            EmailSubscriptions = recorded,
        };

    [Fact]
    public void The_change_subscribes_new_addresses_and_removes_those_taken_off_keeping_the_rest()
    {
        var change = SubscriptionChange.For(Tenant(["a@x.io", "b@x.io"], new() { ["a@x.io"] = "arn:a", ["c@x.io"] = "arn:c" }));

        change.Subscribe.Should().Equal("b@x.io");
        change.Unsubscribe.Should().Equal(new EmailSubscription("c@x.io", "arn:c"));
        SubscriptionChange.For(Tenant(["a@x.io"], new() { ["a@x.io"] = "arn:a" })).IsEmpty.Should().BeTrue();
    }

    [Fact]
    public async Task Recording_adds_new_arns_and_drops_removed_ones_but_not_an_address_subscribed_again_meanwhile()
    {
        var tenants = new InMemoryTenants();
        tenants.Items["acme"] = Tenant(["a@x.io", "b@x.io"], new() { ["a@x.io"] = "arn:a", ["c@x.io"] = "arn:c-new" });
        var step = new RecordSubscriptionsStep(tenants);

        var recorded = await step.RunAsync(new SubscriptionsToRecord("acme")
        {
            Subscribed = [new SubscribedAddress("b@x.io") { Subscription = new SubscriptionResult("arn:b") }],
            Unsubscribed = [new EmailSubscription("c@x.io", "arn:c-old")],
        }, CancellationToken.None);

        recorded.Recorded.Should().Be(3);
        tenants.Items["acme"].EmailSubscriptions.Should().Equal(new Dictionary<string, string>
        {
            ["a@x.io"] = "arn:a", ["b@x.io"] = "arn:b", ["c@x.io"] = "arn:c-new",
        }, "a removal names the ARN it removed: a newer subscription of the same address stays on record");
    }

    [Fact]
    public async Task Recording_for_a_tenant_that_is_gone_records_nothing()
    {
        var result = await new RecordSubscriptionsStep(new InMemoryTenants()).RunAsync(new SubscriptionsToRecord("gone"), CancellationToken.None);

        result.Recorded.Should().Be(0);
    }
}
