using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Domain.Jobs;
using Lethe.Domain.Replay;
using Lethe.Domain.Requests;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

/// <summary>The replay of a tenant's erasures after a restore from a backup (API.md, Tenant settings: replay-erasures).</summary>
public static class ReplayEndpoints
{
    public static IEndpointRouteBuilder MapReplayEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/tenants/{tenantId}/replay-erasures", ReplayAsync).RequireTenantAccess(Capability.ManageTenants)
            .WithTags("Tenants")
            .WithName("ReplayErasures")
            .WithSummary("After a table is restored from a backup or PITR copy, applies every completed erasure and retention purge again from the deletion tombstones (platform-admin): a job of type erasure-replay whose counts and audit events report what was removed again. 409 while one is open.")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<IResult> ReplayAsync(string tenantId, HttpContext http, ErasureReplayRequests replays, AuditRecorder audit)
    {
        var principal = http.Principal();
        return await TenantJobResults.StartedAsync(
            http, tenantId, await replays.SubmitAsync(http.Tenant()!, principal.AuditName, principal.PrimaryRole, http.RequestAborted), audit,
            "erasure-replay.start", "replay-in-progress", "Erasure replay in progress",
            "A replay of this tenant's erasures is running (jobId); it covers every completed erasure. Nothing was started.");
    }
}
