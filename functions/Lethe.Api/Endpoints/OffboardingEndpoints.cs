using System.Text.Json.Serialization;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Domain.Offboarding;
using Lethe.Domain.Tenancy;

namespace Lethe.Api.Endpoints;

/// <summary>
/// POST …/offboard: whether a tenant-wide export is packaged (and kept downloadable for its window) before the purge. A field it
/// does not know is refused (400): a misspelt <c>finalExport</c> must not start an irreversible purge without the export.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record OffboardRequest(bool? FinalExport);

/// <summary>The offboarding of a tenant (API.md, Tenant settings: offboard).</summary>
public static class OffboardingEndpoints
{
    public static IEndpointRouteBuilder MapOffboardingEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/tenants/{tenantId}/offboard", OffboardAsync).RequireTenantAccessToOffboard()
            .WithTags("Tenants")
            .WithName("OffboardTenant")
            .WithSummary("Offboards the tenant (platform-admin): a tenant-offboarding job puts the tenant in state offboarding (every change answers 409), drains its other jobs, packages the optional final export (downloadable by a platform admin for 7 days), purges every item, record, object version, KEK and job of the tenant, schedules its keys for deletion (a BYOK tenant is told to delete its own), signs a tenant-offboarding certificate and terminates the tenant (410); all inside 90 days, the job's deadline. 409 while a legal hold stands or an offboarding is open.")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<IResult> OffboardAsync(
        string tenantId, OffboardRequest? body, HttpContext http, TenantOffboardingRequests offboardings, ILegalHoldRepository holds, AuditRecorder audit)
    {
        // A clear answer now; the drain checks again once the tenant refuses changes (no hold can be placed after that).
        if (await holds.ListAsync(tenantId, http.RequestAborted) is { Count: > 0 } standing)
        {
            return ProblemTypes.Conflict(http, "legal-hold-active", "Legal hold active",
                $"{standing.Count} legal hold(s) of this tenant stand: a tenant under a legal hold cannot be offboarded. Release the holds first. Nothing was started.");
        }

        var tenant = http.Tenant()!;
        if (body?.FinalExport == true && tenant.State == TenantState.Offboarding)
        {
            // An offboarding started again after one failed: its purge may have begun, so an export now would be partial.
            return ProblemTypes.Conflict(http, "final-export-unavailable", "Final export unavailable",
                "This tenant is being offboarded already: an earlier offboarding may have purged part of it, so a final export now would be incomplete. Offboard with finalExport false.");
        }

        var principal = http.Principal();
        return await TenantJobResults.StartedAsync(
            http, tenantId, await offboardings.SubmitAsync(tenant, body?.FinalExport ?? false, principal.AuditName, principal.PrimaryRole, http.RequestAborted), audit,
            "tenant-offboarding.start", "offboarding-in-progress", "Offboarding in progress",
            "An offboarding of this tenant is open (jobId). Nothing was started.");
    }
}
