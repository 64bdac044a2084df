namespace Lethe.Domain.Tenancy;

/// <summary>Where tenants are kept (a port; DynamoDB in Lethe.Aws).</summary>
public interface ITenantRepository
{
    Task<Tenant?> FindAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="candidate"/> unless the tenant exists; returns whichever is stored (never overwrites).</summary>
    Task<Tenant> GetOrCreateAsync(Tenant candidate, CancellationToken cancellationToken);
}
