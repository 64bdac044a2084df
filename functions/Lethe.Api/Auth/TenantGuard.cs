using System.Security.Claims;
using Lethe.Api.Configuration;
using Lethe.Api.Problems;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;
using Microsoft.Extensions.Options;

namespace Lethe.Api.Auth;

/// <summary>
/// The guard of API.md on every tenant route, in this order: no or invalid token → 401; foreign tenant or a role that may
/// not → 403; terminated tenant → 410; unknown tenant → 404. The decision itself is <see cref="AccessGuard"/> (Domain);
/// this filter gathers its inputs and turns the outcome into a problem response. The loaded tenant is left in
/// <see cref="HttpContext.Items"/> for the endpoint.
/// </summary>
public sealed class TenantGuard(Capability capability, bool tenantMayBeMissing = false, TenantStateAccess stateAccess = TenantStateAccess.Normal) : IEndpointFilter
{
    public const string TenantItem = "lethe.tenant";
    public const string PrincipalItem = "lethe.principal";

    /// <summary>The caller as its token says, set before any check (<see cref="PrincipalItem"/> is set only once access is granted).</summary>
    public const string CallerItem = "lethe.caller";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var principal = ReadPrincipal(http.User);
        // Who asked, whatever the guard decides (the security log names the caller of a refused request too).
        http.Items[CallerItem] = principal;
        var routeTenant = http.Request.RouteValues["tenantId"] as string ?? string.Empty;

        var early = AccessGuard.Evaluate(principal, routeTenant, capability, tenant: PlaceholderTenant(routeTenant));
        if (early is AccessOutcome.Unauthenticated or AccessOutcome.Forbidden)
        {
            await AuditDeniedMutationAsync(http, principal, routeTenant, early);
            return Respond(http, early);
        }

        Tenant? tenant = null;
        if (TenantId.IsWellFormed(routeTenant))
        {
            var repository = http.RequestServices.GetRequiredService<ITenantRepository>();
            tenant = await repository.FindAsync(routeTenant, http.RequestAborted);
            var options = http.RequestServices.GetRequiredService<IOptions<LetheApiOptions>>().Value;
            if (tenant is null && options.AutoProvisionTenants && !tenantMayBeMissing)
            {
                var clock = http.RequestServices.GetRequiredService<TimeProvider>();
                tenant = await repository.GetOrCreateAsync(
                    new Tenant(routeTenant, routeTenant, TenantState.Active, clock.GetUtcNow(), options.DefaultTimeScale), http.RequestAborted);
            }
        }

        // The offboarding itself is the one change a tenant being offboarded takes (a failed one is started again).
        var changes = !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && stateAccess != TenantStateAccess.Offboarding;
        var outcome = AccessGuard.Evaluate(principal, routeTenant, capability, tenant, changes, stateAccess == TenantStateAccess.Evidence);
        if (outcome == AccessOutcome.NotFound && tenantMayBeMissing)
        {
            outcome = AccessOutcome.Allowed;
        }

        if (outcome != AccessOutcome.Allowed)
        {
            return Respond(http, outcome);
        }

        http.Items[TenantItem] = tenant;
        http.Items[PrincipalItem] = principal;
        return await next(context);
    }

    /// <summary>
    /// A refused change by a caller of this very tenant (a role that may not) is a security event of that tenant: it goes into
    /// its journal with outcome "denied". Refusals of strangers are not written into a tenant they cannot reach.
    /// </summary>
    private async Task AuditDeniedMutationAsync(HttpContext http, Principal? principal, string routeTenant, AccessOutcome outcome)
    {
        if (outcome != AccessOutcome.Forbidden || principal is null || HttpMethods.IsGet(http.Request.Method) || principal.Tenant != routeTenant
            || !TenantId.IsWellFormed(routeTenant) || await http.RequestServices.GetRequiredService<ITenantRepository>().FindAsync(routeTenant, http.RequestAborted) is null)
        {
            return;
        }

        http.Items[PrincipalItem] = principal;
        var details = System.Text.Json.JsonSerializer.SerializeToElement(new DeniedAuditDetails(http.Request.Method, capability.ToString()), ApiJsonContext.Default.DeniedAuditDetails);
        // The route's template, never the path as sent: a path could carry a subject id or any text a caller chose into the
        // 7-year chain.
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unknown-route";
        await http.RequestServices.GetRequiredService<Auditing.AuditRecorder>()
            .RecordAsync(http, routeTenant, $"access.{capability}", route, Domain.Audit.AuditActions.Denied, details);
    }

    /// <summary>The first pass decides 401/403 before any read, so a stranger costs no table access.</summary>
    private static Tenant PlaceholderTenant(string id) => new(id, id, TenantState.Active, DateTimeOffset.MinValue, 1);

    public static Principal? ReadPrincipal(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var sub = user.FindFirst("sub")?.Value;
        var tenant = user.FindFirst("tenant")?.Value;
        if (string.IsNullOrEmpty(sub) || string.IsNullOrEmpty(tenant))
        {
            return null;
        }

        var roles = user.FindAll("roles").Select(c => c.Value).Where(Roles.IsKnown).Distinct(StringComparer.Ordinal).ToList();
        return new Principal(sub, tenant, roles);
    }

    private static IResult Respond(HttpContext http, AccessOutcome outcome) => outcome switch
    {
        AccessOutcome.Unauthenticated => WithChallenge(http),
        AccessOutcome.Forbidden => ProblemTypes.Forbidden(http),
        AccessOutcome.Gone => ProblemTypes.TenantGone(http),
        AccessOutcome.NotFound => ProblemTypes.NotFound(http, "tenant"),
        AccessOutcome.Offboarding => ProblemTypes.Conflict(http, "tenant-offboarding", "Tenant is being offboarded",
            "This tenant is being offboarded: it accepts no changes (GET …/requests?type=tenant-offboarding shows the offboarding).", null),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    private static IResult WithChallenge(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return ProblemTypes.Unauthorized(http);
    }
}

public sealed record DeniedAuditDetails(string Method, string Capability);

/// <summary>What a route may do with a tenant that is being offboarded or was terminated.</summary>
public enum TenantStateAccess
{
    /// <summary>Changes are refused while the tenant is offboarding (409); everything answers 410 once it is terminated.</summary>
    Normal,

    /// <summary>A read of the evidence a terminated tenant leaves (its offboarding request and certificates): a platform admin still may.</summary>
    Evidence,

    /// <summary>The offboarding route: taken while the tenant is offboarding (a failed offboarding is started again).</summary>
    Offboarding,
}

public static class TenantGuardExtensions
{
    /// <summary>Puts the tenant guard in front of an endpoint for one capability of the roles table.</summary>
    public static TBuilder RequireTenantAccess<TBuilder>(this TBuilder builder, Capability capability, bool tenantMayBeMissing = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(new TenantGuard(capability, tenantMayBeMissing));

    /// <summary>
    /// The guard for a read of what a terminated tenant leaves behind as evidence (its offboarding request, its certificates):
    /// a platform admin still reads it after termination; everyone else gets 410 as on every other route.
    /// </summary>
    public static TBuilder RequireTenantAccessToEvidence<TBuilder>(this TBuilder builder, Capability capability)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(new TenantGuard(capability, stateAccess: TenantStateAccess.Evidence));

    /// <summary>The guard of the offboarding route: the one change a tenant being offboarded accepts (starting a failed offboarding again).</summary>
    public static TBuilder RequireTenantAccessToOffboard<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(new TenantGuard(Capability.ManageTenants, stateAccess: TenantStateAccess.Offboarding));

    public static Tenant? Tenant(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Items[TenantGuard.TenantItem] as Tenant;
    }

    public static Principal Principal(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return (Principal)http.Items[TenantGuard.PrincipalItem]!;
    }
}
