namespace Lethe.Api.Endpoints;

public sealed record HealthResponse(string Status);

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", () => TypedResults.Ok(new HealthResponse("ok")))
            .WithTags("Platform")
            .WithName("Health")
            .WithSummary("Liveness: 200 while the API process serves requests. Needs no token.")
            .AllowAnonymous();
        return routes;
    }
}
