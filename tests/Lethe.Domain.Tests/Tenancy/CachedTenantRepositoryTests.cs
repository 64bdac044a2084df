using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Tenancy;

public sealed class CachedTenantRepositoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly InMemoryTenants _store = new();

    private CachedTenantRepository Cache() => new(_store, _clock, TimeSpan.FromSeconds(5));

    private Tenant Stored(TenantState state = TenantState.Active)
    {
        var tenant = new Tenant("t1-acme", "Acme", state, Start, 1);
        _store.Items[tenant.Id] = tenant;
        return tenant;
    }

    [Fact]
    public async Task A_change_made_elsewhere_shows_once_the_cached_profile_is_five_seconds_old()
    {
        var tenant = Stored();
        var cache = Cache();
        await cache.FindAsync(tenant.Id, TestContext.Current.CancellationToken);

        _store.Items[tenant.Id] = tenant with { State = TenantState.Terminated };
        (await cache.FindAsync(tenant.Id, TestContext.Current.CancellationToken))!.State.Should().Be(TenantState.Active, "within the bound the profile is reused");
        _clock.Advance(TimeSpan.FromSeconds(5));

        (await cache.FindAsync(tenant.Id, TestContext.Current.CancellationToken))!.State.Should().Be(TenantState.Terminated);
    }

    [Fact]
    public async Task A_save_through_the_cache_shows_on_the_next_read_at_once()
    {
        var tenant = Stored();
        var cache = Cache();
        await cache.FindAsync(tenant.Id, TestContext.Current.CancellationToken);

        (await cache.TrySaveAsync(tenant with { KeyArn = "arn:aws:kms:us-east-1:123456789012:key/k1" }, TestContext.Current.CancellationToken)).Should().BeTrue();

        (await cache.FindAsync(tenant.Id, TestContext.Current.CancellationToken))!.KeyArn.Should().EndWith("key/k1");
    }

    [Fact]
    public async Task An_unknown_tenant_is_not_remembered_as_missing()
    {
        var cache = Cache();
        (await cache.FindAsync("t1-acme", TestContext.Current.CancellationToken)).Should().BeNull();

        Stored();

        (await cache.FindAsync("t1-acme", TestContext.Current.CancellationToken)).Should().NotBeNull("a tenant created by another process is found on its first request");
    }

    [Fact]
    public async Task A_zero_bound_reads_the_store_every_time()
    {
        var tenant = Stored();
        var cache = new CachedTenantRepository(_store, _clock, TimeSpan.Zero);
        await cache.FindAsync(tenant.Id, TestContext.Current.CancellationToken);

        _store.Items[tenant.Id] = tenant with { State = TenantState.Offboarding };

        (await cache.FindAsync(tenant.Id, TestContext.Current.CancellationToken))!.State.Should().Be(TenantState.Offboarding);
    }
}
