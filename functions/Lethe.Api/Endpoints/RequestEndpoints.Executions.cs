using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
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
            .WithSummary("The request's workflow executions ({requestId}-{n}, at most the last 10) with their state history (event type, state, error name and message; never inputs or outputs) and, in AWS and for platform admins, a link to the Step Functions console. Tenant admins, auditors and platform admins.")
            .Produces<ExecutionList>().ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<IResult> ExecutionsAsync(
        string tenantId, string requestId, HttpContext http, IJobStore jobs, SubjectRefs subjectRefs, IExecutionHistory history)
    {
        if (await VisibleJobAsync(tenantId, requestId, http, jobs, subjectRefs) is not { } job)
        {
            return ProblemTypes.NotFound(http, "request");
        }

        var executions = await history.ListAsync(job, http.RequestAborted);
        // The console link names the platform's AWS account, region and state machines: for its operators, not its tenants.
        return TypedResults.Ok(new ExecutionList(http.Principal().IsPlatformAdmin ? executions : executions.Select(e => e with { ConsoleUrl = null }).ToList()));
    }
}
