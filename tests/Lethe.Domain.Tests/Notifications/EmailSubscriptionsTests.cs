using Lethe.Domain.Notifications;
using Lethe.Domain.Policies;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;

namespace Lethe.Domain.Tests.Notifications;

public sealed class EmailSubscriptionsTests
{
    private readonly RecordingStarts _starts = new();

    private sealed class RecordingStarts : IEmailSubscriptions
    {
        public List<string> Started { get; } = [];

        public Task StartAsync(string tenantId, CancellationToken cancellationToken)
        {
            Started.Add(tenantId);
            return Task.CompletedTask;
        }
    }

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
        var step = new RecordSubscriptionsStep(tenants, _starts);

        var recorded = await step.RunAsync(new SubscriptionsToRecord("acme")
        {
            Subscribed = [new SubscribedAddress("b@x.io") { Subscription = new SubscriptionResult("arn:b") }],
            Unsubscribed = [new RemovedSubscription("c@x.io", "arn:c-old", Removed: true)],
        }, CancellationToken.None);

        recorded.Recorded.Should().Be(3);
        tenants.Items["acme"].EmailSubscriptions.Should().Equal(new Dictionary<string, string>
        {
            ["a@x.io"] = "arn:a", ["b@x.io"] = "arn:b", ["c@x.io"] = "arn:c-new",
        }, "a removal names the ARN it removed: a newer subscription of the same address stays on record");
    }

    [Fact]
    public async Task A_removal_sns_refused_stays_on_record_and_fails_the_run_after_the_rest_is_recorded()
    {
        var tenants = new InMemoryTenants();
        tenants.Items["acme"] = Tenant(["b@x.io"], new() { ["a@x.io"] = "arn:a" });
        var step = new RecordSubscriptionsStep(tenants, _starts);

        var run = () => step.RunAsync(new SubscriptionsToRecord("acme")
        {
            Subscribed = [new SubscribedAddress("b@x.io") { Subscription = new SubscriptionResult("arn:b") }],
            Unsubscribed = [new RemovedSubscription("a@x.io", "arn:a", Removed: false)],
        }, CancellationToken.None);

        (await run.Should().ThrowAsync<SubscriptionsIncompleteException>()).Which.Message.Should().NotContain("@", "counts only, never addresses");
        tenants.Items["acme"].EmailSubscriptions.Should().Equal(new Dictionary<string, string> { ["a@x.io"] = "arn:a", ["b@x.io"] = "arn:b" });
        _starts.Started.Should().BeEmpty("nothing changed that this run did not try");
    }

    [Fact]
    public async Task A_settings_change_during_a_run_starts_another_run_for_what_is_left()
    {
        var tenants = new InMemoryTenants();
        // The run subscribed b; meanwhile the list became [b, c].
        tenants.Items["acme"] = Tenant(["b@x.io", "c@x.io"], []);

        await new RecordSubscriptionsStep(tenants, _starts).RunAsync(new SubscriptionsToRecord("acme")
        {
            Subscribed = [new SubscribedAddress("b@x.io") { Subscription = new SubscriptionResult("arn:b") }],
        }, CancellationToken.None);

        _starts.Started.Should().Equal("acme");
    }

    [Fact]
    public async Task The_plan_comes_from_the_stored_tenant_with_a_filter_on_its_own_id_and_audience()
    {
        var tenants = new InMemoryTenants();
        tenants.Items["acme"] = Tenant(["a@x.io"], new() { ["z@x.io"] = "arn:z" });

        var plan = await new PlanSubscriptionsStep(tenants).RunAsync(new SubscriptionPlan("acme"), CancellationToken.None);

        plan.Subscribe.Should().Equal("a@x.io");
        plan.Unsubscribe.Should().Equal(new EmailSubscription("z@x.io", "arn:z"));
        plan.FilterPolicy.Should().Be("{\"tenantId\":[\"acme\"],\"audience\":[\"tenant\"]}");
    }

    [Fact]
    public async Task Recording_for_a_tenant_that_is_gone_records_nothing()
    {
        var result = await new RecordSubscriptionsStep(new InMemoryTenants(), _starts).RunAsync(new SubscriptionsToRecord("gone"), CancellationToken.None);

        result.Recorded.Should().Be(0);
    }
}
