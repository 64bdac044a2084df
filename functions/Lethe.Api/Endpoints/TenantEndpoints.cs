using Lethe.Api.Auth;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;

namespace Lethe.Api.Endpoints;

public sealed record TenantResponse(string Id, string Name, string State, DateTimeOffset CreatedAt, int TimeScale)
{
    public static TenantResponse From(Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return new(tenant.Id, tenant.Name, Tenant.StateName(tenant.State), tenant.CreatedAt, tenant.TimeScale);
    }
}

public static class TenantEndpoints
{
    public static IEndpointRouteBuilder MapTenantEndpoints(this IEndpointRouteBuilder routes)
    {
        var tenants = routes.MapGroup("/v1/tenants/{tenantId}").WithTags("Tenants");

        tenants.MapGet("/", (HttpContext http) => TypedResults.Ok(TenantResponse.From((Tenant)http.Items[TenantGuard.TenantItem]!)))
            .RequireTenantAccess(Capability.ReadTenant)
            .WithName("GetTenant")
            .WithSummary("Reads a tenant: id, name, state, creation time and (local only) time scale.")
            .Produces<TenantResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone);

        return routes;
    }
}
