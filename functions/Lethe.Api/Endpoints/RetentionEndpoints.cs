using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Domain.Jobs;
using Lethe.Domain.Requests;
using Lethe.Domain.Retention;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

/// <summary>What one retention run did (API.md: its counts and its certificate id).</summary>
public sealed record RetentionRunCounts(long Archived, long Purged, long SkippedUnderHold, long Failed);

public sealed record RetentionRunView(
    string Id, string Status, string Phase, DateTimeOffset DueAsOf, DateTimeOffset? CompletedAt, RetentionRunCounts Counts, string? CertificateId,
    IReadOnlyList<JobErrorView> Errors);

public sealed record RetentionRunPage(IReadOnlyList<RetentionRunView> Items, string? NextCursor);

/// <summary>Retention sweeps (API.md, Tenant settings): start one now, and each run's report.</summary>
public static class RetentionEndpoints
{
    public static IEndpointRouteBuilder MapRetentionEndpoints(this IEndpointRouteBuilder routes)
    {
        var retention = routes.MapGroup("/v1/tenants/{tenantId}/retention").WithTags("Retention");
        retention.MapPost("/sweep", SweepAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("StartRetentionSweep")
            .WithSummary("Starts a retention sweep of the tenant now (the daily schedule runs the same): items past retention are purged, held subjects' skipped; one retention certificate per run. 409 while a run is open.")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status409Conflict);
        retention.MapGet("/runs", RunsAsync).RequireTenantAccess(Capability.ReadInventory)
            .WithName("ListRetentionRuns").WithSummary("Retention runs of the tenant, newest first: counts (archived, purged, skippedUnderHold, failed) and certificate id.")
            .Produces<RetentionRunPage>().ProducesValidationProblem();
        return routes;
    }

    private static async Task<IResult> SweepAsync(string tenantId, HttpContext http, RetentionSweepRequests sweeps, AuditRecorder audit)
    {
        var principal = http.Principal();
        return await TenantJobResults.StartedAsync(
            http, tenantId, await sweeps.SubmitAsync(http.Tenant()!, principal.AuditName, principal.PrimaryRole, http.RequestAborted), audit,
            "retention.sweep", "sweep-in-progress", "Retention sweep in progress",
            "A retention sweep of this tenant is running (jobId); it covers everything due now. Nothing was started.");
    }

    private static async Task<IResult> RunsAsync(string tenantId, int? limit, string? cursor, HttpContext http, IJobStore jobs)
    {
        if (limit is < 1 or > 200)
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["limit"] = ["limit is 1–200."] });
        }

        var (items, next) = await jobs.ListAsync(tenantId, new JobQuery(null, JobType.RetentionSweep, null, cursor, limit ?? 50), http.RequestAborted);
        return TypedResults.Ok(new RetentionRunPage(items.Select(View).ToList(), next));
    }

    private static RetentionRunView View(Job job) => new(
        job.Id, JobStatuses.Name(job.Status), job.Phase, job.CreatedAt, job.CompletedAt,
        new RetentionRunCounts(job.Counts.Archived, job.Counts.Purged, job.Counts.Held, job.Counts.Failed), job.CertificateId,
        job.Errors.Select(e => new JobErrorView(e.ItemId, e.Message, e.At)).ToList());
}
