namespace Lethe.Domain.Security;

/// <summary>The roles of API.md. A token carries them in its <c>roles</c> claim.</summary>
public static class Roles
{
    public const string Subject = "subject";
    public const string Service = "service";
    public const string TenantAdmin = "tenant-admin";
    public const string Auditor = "auditor";
    public const string PlatformAdmin = "platform-admin";

    public static readonly IReadOnlyList<string> All = [Subject, Service, TenantAdmin, Auditor, PlatformAdmin];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}

/// <summary>What a request wants to do; each guarded route names exactly one.</summary>
public enum Capability
{
    ReadTenant,
    ManageTenants,
    ReadSettings,
    ManageSettings,
    ManageLegalHolds,
    WriteRecords,
    ReadRecords,
    ManageConsents,
    ReadConsents,
    ManageRestriction,
    ReadRestriction,
    ReadAudit,
    AnchorAudit,
    ReadInventory,
    SubmitRequests,
    ReadRequests,
    ManageRequests,
    DownloadExports,
    ManageConnectors,
    AnswerConnectors,
}

/// <summary>Which data subjects' objects a capability reaches for one token.</summary>
public enum SubjectScope
{
    /// <summary>No role of the token grants the capability.</summary>
    None,

    /// <summary>Only the subject role grants it: the token's own subject (<c>sub</c>) alone.</summary>
    OwnSubject,

    /// <summary>A role other than subject grants it: every subject of the tenant.</summary>
    AnySubject,
}

/// <summary>The roles table of API.md as data, so the guard and its tests read the same table.</summary>
public static class RolePolicy
{
    private static readonly Dictionary<Capability, string[]> Allowed = new()
    {
        [Capability.ReadTenant] = [Roles.Service, Roles.TenantAdmin, Roles.Auditor, Roles.PlatformAdmin],
        [Capability.ManageTenants] = [Roles.PlatformAdmin],
        [Capability.ReadSettings] = [Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.ManageSettings] = [Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.ManageLegalHolds] = [Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.WriteRecords] = [Roles.Service, Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.ReadRecords] = [Roles.Subject, Roles.Service, Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.ManageConsents] = [Roles.Subject, Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.ReadConsents] = [Roles.Subject, Roles.Service, Roles.TenantAdmin, Roles.PlatformAdmin],
        // Restriction of processing (Art. 18) is the controller's decision on the subject's request: admins set and lift it; the
        // service reads it to gate processing, as it reads consents. The subject role is not in API.md's list for it.
        [Capability.ManageRestriction] = [Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.ReadRestriction] = [Roles.Service, Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.ReadAudit] = [Roles.Auditor, Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.AnchorAudit] = [Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.ReadInventory] = [Roles.Auditor, Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.SubmitRequests] = [Roles.Subject, Roles.Service, Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.ReadRequests] = [Roles.Subject, Roles.Service, Roles.TenantAdmin, Roles.Auditor, Roles.PlatformAdmin],
        [Capability.ManageRequests] = [Roles.TenantAdmin, Roles.PlatformAdmin],
        // A copy of everything held about a person: the person and the tenant's admins, nobody else (auditors see that it happened).
        [Capability.DownloadExports] = [Roles.Subject, Roles.TenantAdmin, Roles.PlatformAdmin],
        // Connectors reach the tenant's other systems with a secret: the tenant's admins manage them; the system that received a
        // call answers it with a service token (or an admin, by hand).
        [Capability.ManageConnectors] = [Roles.TenantAdmin, Roles.PlatformAdmin],
        [Capability.AnswerConnectors] = [Roles.Service, Roles.TenantAdmin, Roles.PlatformAdmin],
    };

    /// <summary>
    /// How far a token reaches with <paramref name="capability"/> over objects that belong to one data subject: a role other
    /// than <c>subject</c> that grants it reaches every subject of the tenant; the <c>subject</c> role alone reaches only the
    /// token's own subject (its <c>sub</c>). Every subject-bound check goes through this, so a second role that does not grant
    /// the capability (auditor, service) never widens what the subject role reaches.
    /// </summary>
    public static SubjectScope ScopeOf(Principal principal, Capability capability)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var allowed = Allowed.TryGetValue(capability, out var roles) ? roles : [];
        if (principal.Roles.Any(r => r != Roles.Subject && allowed.Contains(r, StringComparer.Ordinal)))
        {
            return SubjectScope.AnySubject;
        }

        return principal.Roles.Contains(Roles.Subject, StringComparer.Ordinal) && allowed.Contains(Roles.Subject, StringComparer.Ordinal)
            ? SubjectScope.OwnSubject
            : SubjectScope.None;
    }

    /// <summary>True when only the <c>subject</c> role grants the capability: the caller sees and acts for its own subject alone.</summary>
    public static bool OnlyAsSubject(Principal principal, Capability capability) => ScopeOf(principal, capability) == SubjectScope.OwnSubject;

    /// <summary>
    /// Whether the token may use <paramref name="capability"/> on an object of <paramref name="subjectId"/> (API.md: with the
    /// subject role alone, sub = the object's subject, else 403).
    /// </summary>
    public static bool MayActFor(Principal principal, Capability capability, string? subjectId) => ScopeOf(principal, capability) switch
    {
        SubjectScope.AnySubject => true,
        SubjectScope.OwnSubject => subjectId is not null && string.Equals(principal.Sub, subjectId, StringComparison.Ordinal),
        _ => false,
    };

    public static bool Allows(IEnumerable<string> roles, Capability capability) =>
        Allowed.TryGetValue(capability, out var allowed) && roles.Any(r => allowed.Contains(r, StringComparer.Ordinal));
}
