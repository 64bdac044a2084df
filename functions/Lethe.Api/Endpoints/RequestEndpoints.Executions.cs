using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

public sealed record ExecutionList(IReadOnlyList<ExecutionRecord> Items);

/// <summary>A request's executions and their state histories: what operators read in the Step Functions console.</summary>
public static partial class RequestEndpoints
{
    private static void MapExecutions(RouteGroupBuilder requests) =>
        requests.MapGet("/{requestId}/executions", ExecutionsAsync).RequireTenantAccess(Capability.ReadAudit)
            .WithName("ListExecutions")
            .WithSummary("The request's workflow executions ({requestId}-{n}, at most the last 10) with their state history (event type, state, error name and message; never inputs or outputs) and, in AWS, a link to the Step Functions console. Tenant admins and auditors.")
            .Produces<ExecutionList>().ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<IResult> ExecutionsAsync(string tenantId, string requestId, HttpContext http, IJobStore jobs, IExecutionHistory history) =>
        await jobs.FindAsync(tenantId, requestId, http.RequestAborted) is { } job
            ? TypedResults.Ok(new ExecutionList(await history.ListAsync(job, http.RequestAborted)))
            : ProblemTypes.NotFound(http, "request");
}
