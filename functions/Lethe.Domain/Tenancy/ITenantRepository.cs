namespace Lethe.Domain.Tenancy;

/// <summary>Where tenants are kept (a port; DynamoDB in Lethe.Aws).</summary>
public interface ITenantRepository
{
    Task<Tenant?> FindAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="candidate"/> unless the tenant exists; returns whichever is stored (never overwrites).</summary>
    Task<Tenant> GetOrCreateAsync(Tenant candidate, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the tenant's profile if it is still at <see cref="Tenant.Version"/> (0: not stored yet), as version + 1; false
    /// when another change came first (read again and reapply), so concurrent changes never undo each other.
    /// </summary>
    Task<bool> TrySaveAsync(Tenant tenant, CancellationToken cancellationToken);
}

public sealed record LegalHold(string Id, string TenantId, string SubjectRef, string Reason, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>Legal holds: while one stands for a subject, nothing of that subject may be deleted.</summary>
public interface ILegalHoldRepository
{
    Task CreateAsync(LegalHold hold, CancellationToken cancellationToken);

    Task<LegalHold?> FindAsync(string tenantId, string holdId, CancellationToken cancellationToken);

    /// <summary>Removes the hold; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string tenantId, string holdId, CancellationToken cancellationToken);

    Task<IReadOnlyList<LegalHold>> ListAsync(string tenantId, CancellationToken cancellationToken);
}
