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
}

/// <summary>
/// The guard of API.md, checks in this order: no token → 401; foreign tenant or a role that may not → 403;
/// terminated tenant → 410; unknown tenant → 404. The order matters: a caller without rights must not
/// learn whether a tenant exists or was terminated.
/// </summary>
public static class AccessGuard
{
    public static AccessOutcome Evaluate(Principal? principal, string routeTenant, Capability capability, Tenant? tenant)
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

        return tenant.State == TenantState.Terminated ? AccessOutcome.Gone : AccessOutcome.Allowed;
    }
}
