namespace Lethe.Domain.Tenancy;

/// <summary>A change a workflow makes to its tenant, saved conditionally so a concurrent settings change is kept, never undone.</summary>
public static class TenantChanges
{
    private const int SaveAttempts = 8;

    /// <summary>
    /// Applies <paramref name="change"/> to the tenant as stored now, conditional on the version read (a concurrent change is
    /// re-read and the change applied to it). <paramref name="change"/> returns null when nothing is left to change; then the
    /// tenant is returned as it is.
    /// </summary>
    public static async Task<Tenant> ApplyAsync(ITenantRepository tenants, string tenantId, string jobId, Func<Tenant, Tenant?> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenants);
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 0; attempt < SaveAttempts; attempt++)
        {
            var tenant = await tenants.FindAsync(tenantId, cancellationToken)
                ?? throw new Jobs.Workflow.JobNotActiveException($"Tenant {tenantId} of job {jobId} does not exist.");
            if (change(tenant) is not { } changed)
            {
                return tenant;
            }

            if (await tenants.TrySaveAsync(changed, cancellationToken))
            {
                return changed;
            }
        }

        throw new Errors.TransientException($"Tenant {tenantId} kept changing while job {jobId} saved it.");
    }
}

/// <summary>
/// The tenant is being offboarded or was terminated: nothing may create key material for it (a subject-ref key, a tenant key),
/// or the offboarding's purge would find it again. The API answers 409 <c>tenant-offboarding</c>.
/// </summary>
public sealed class TenantNotActiveException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.TenantNotActive";
}
