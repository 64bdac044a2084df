using System.Collections.Concurrent;

namespace Lethe.Domain.Tenancy;

/// <summary>
/// Tenant profiles kept in memory for a bounded time (the API reads one on every request, for the guard): a change made by
/// another process is seen within <c>maxAge</c>; a change made through this repository is seen at once (every save or
/// creation forgets the cached profile, so a read-modify-save loop that lost a race reads the stored profile next). Unknown
/// tenants are never cached: a tenant created elsewhere is found on its first request.
/// </summary>
public sealed class CachedTenantRepository(ITenantRepository inner, TimeProvider clock, TimeSpan maxAge, int maxTenants = 10_000) : ITenantRepository
{
    private readonly ConcurrentDictionary<string, (Tenant Tenant, DateTimeOffset LoadedAt)> _cache = new(StringComparer.Ordinal);

    /// <summary>Counts forgets: a profile loaded while a save went through is not remembered (it may predate the save).</summary>
    private long _forgets;

    public async Task<Tenant?> FindAsync(string tenantId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(tenantId, out var cached) && now - cached.LoadedAt < maxAge)
        {
            return cached.Tenant;
        }

        var forgets = Interlocked.Read(ref _forgets);
        var tenant = await inner.FindAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            Forget(tenantId);
            return null;
        }

        Remember(tenant, now, forgets);
        return tenant;
    }

    public async Task<Tenant> GetOrCreateAsync(Tenant candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        Forget(candidate.Id);
        var forgets = Interlocked.Read(ref _forgets);
        var stored = await inner.GetOrCreateAsync(candidate, cancellationToken);
        Remember(stored, clock.GetUtcNow(), forgets);
        return stored;
    }

    public async Task<bool> TrySaveAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        try
        {
            return await inner.TrySaveAsync(tenant, cancellationToken);
        }
        finally
        {
            // Saved or not, the next read asks the store: it holds the new version, or the change that came first.
            Forget(tenant.Id);
        }
    }

    private void Forget(string tenantId)
    {
        Interlocked.Increment(ref _forgets);
        _cache.TryRemove(tenantId, out _);
    }

    private void Remember(Tenant tenant, DateTimeOffset now, long forgetsAtLoad)
    {
        if (maxAge <= TimeSpan.Zero)
        {
            return;
        }

        if (_cache.Count >= maxTenants)
        {
            // A bound, not an eviction policy: far more tenants than one process serves at once only costs re-reads.
            _cache.Clear();
        }

        _cache[tenant.Id] = (tenant, now);
        if (Interlocked.Read(ref _forgets) != forgetsAtLoad)
        {
            // A save or creation went through while this profile was read: it may predate that change.
            _cache.TryRemove(tenant.Id, out _);
        }
    }
}
