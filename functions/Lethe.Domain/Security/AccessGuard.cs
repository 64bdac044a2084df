using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Security;

/// <summary>Who is calling, as the validated token says.</summary>
public sealed record Principal(string Sub, string Tenant, IReadOnlyList<string> Roles)
{
    public bool IsPlatformAdmin => Roles.Contains(Security.Roles.PlatformAdmin, StringComparer.Ordinal);

    /// <summary>
    /// Who acted, as stores and audit records may name them: a token with the subject role carries a subject id as <c>sub</c>
    /// (whatever other roles it holds), which must never be stored in clear, so it is written as "data-subject" (the target
    /// names the subject by its ref).
    /// </summary>
    public string AuditName => Roles.Contains(Security.Roles.Subject, StringComparer.Ordinal) ? "data-subject" : Sub;

    /// <summary>The role written into audit records: the most privileged one the token holds.</summary>
    public string PrimaryRole =>
        Security.Roles.All.Reverse().FirstOrDefault(r => Roles.Contains(r, StringComparer.Ordinal)) ?? "none";
}

public enum AccessOutcome
{
    Allowed,
    Unauthenticated,
    Forbidden,
    Gone,
    NotFound,

    /// <summary>The tenant is being offboarded: it refuses every change (409), reads go on until it is terminated.</summary>
    Offboarding,
}

/// <summary>
/// The guard of API.md, checks in this order: no token → 401; foreign tenant or a role that may not → 403;
/// terminated tenant → 410; unknown tenant → 404; a change to a tenant being offboarded → 409. The order matters: a caller
/// without rights must not learn whether a tenant exists or was terminated.
/// </summary>
public static class AccessGuard
{
    /// <param name="principal">The caller, as its validated token says (null: no valid token).</param>
    /// <param name="routeTenant">The tenant the route names.</param>
    /// <param name="capability">What the route does, in the roles table's terms.</param>
    /// <param name="tenant">The tenant as stored (null: unknown).</param>
    /// <param name="changes">The request changes something (any method but GET/HEAD): refused while the tenant is offboarding.</param>
    /// <param name="evidenceOfTermination">
    /// The route reads what a terminated tenant leaves as evidence (its offboarding request and certificates): a platform admin
    /// may still read it; everyone else, and every other route, gets 410.
    /// </param>
    public static AccessOutcome Evaluate(Principal? principal, string routeTenant, Capability capability, Tenant? tenant, bool changes = false, bool evidenceOfTermination = false)
    {
        if (principal is null)
        {
            return AccessOutcome.Unauthenticated;
        }

        var sameTenant = string.Equals(principal.Tenant, routeTenant, StringComparison.Ordinal);
        if ((!sameTenant && !principal.IsPlatformAdmin) || !RolePolicy.Allows(principal.Roles, capability))
        {
            return AccessOutcome.Forbidden;
        }

        if (tenant is null)
        {
            return AccessOutcome.NotFound;
        }

        return tenant.State switch
        {
            TenantState.Terminated when evidenceOfTermination && !changes && principal.IsPlatformAdmin => AccessOutcome.Allowed,
            TenantState.Terminated => AccessOutcome.Gone,
            TenantState.Offboarding when changes => AccessOutcome.Offboarding,
            _ => AccessOutcome.Allowed,
        };
    }
}
