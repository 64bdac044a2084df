using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Errors;
using Lethe.Domain.Records;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;

namespace Lethe.Api.Endpoints;

/// <summary>PUT …/subjects/{s}/restriction: restrict (with the ground in <c>reason</c>) or lift.</summary>
public sealed record RestrictionRequest(bool? Restricted, string? Reason);

public sealed record RestrictionChangeView(bool Restricted, string? Reason, DateTimeOffset At, string By);

/// <summary>The subject's restriction: <c>updatedAt</c>/<c>updatedBy</c> are absent when it was never set.</summary>
public sealed record RestrictionView(bool Restricted, string? Reason, DateTimeOffset? UpdatedAt, string? UpdatedBy, IReadOnlyList<RestrictionChangeView> History);

/// <summary>A restriction change as the audit keeps it: the direction, never the reason (it may describe the person).</summary>
public sealed record RestrictionAuditDetails(string SubjectRef, bool Restricted);

/// <summary>
/// Restriction of processing (API.md, Records; GDPR Art. 18): while a subject is restricted its records are kept and readable,
/// nothing is derived from them and new uploads are stored without derivation. Set and lifted by the tenant's admins, read by
/// the service to gate processing; every change audited and kept, purged with the subject by an erasure.
/// </summary>
public static class RestrictionEndpoints
{
    public static IEndpointRouteBuilder MapRestrictionEndpoints(this IEndpointRouteBuilder routes)
    {
        var restriction = routes.MapGroup("/v1/tenants/{tenantId}/subjects/{subjectId}/restriction").WithTags("Restriction");
        restriction.MapPut("/", PutAsync).RequireTenantAccess(Capability.ManageRestriction)
            .WithName("PutRestriction").WithSummary("Restricts the subject's processing (restricted true, with the ground as reason) or lifts the restriction. 409 while the subject's erasure is open.")
            .Produces<RestrictionView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        restriction.MapGet("/", GetAsync).RequireTenantAccess(Capability.ReadRestriction)
            .WithName("GetRestriction").WithSummary("Whether the subject's processing is restricted, with every change (restricted false and no history when never set). A service token sees restricted and updatedAt only.")
            .Produces<RestrictionView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return routes;
    }

    private static async Task<IResult> PutAsync(
        string tenantId, string subjectId, RestrictionRequest? body, HttpContext http, IRestrictionStore store, SubjectRefs subjectRefs, AuditRecorder audit, TimeProvider clock)
    {
        var errors = RestrictionRules.Validate(body?.Restricted, body?.Reason);
        if (!SubjectId.IsValid(subjectId))
        {
            errors["subjectId"] = [SubjectId.Rule];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var subjectRef = await subjectRefs.ForAsync(http.Tenant()!, subjectId, http.RequestAborted);
        var reason = string.IsNullOrWhiteSpace(body!.Reason) ? null : body.Reason.Trim();
        var state = new RestrictionState(body.Restricted!.Value, reason, clock.GetUtcNow(), http.Principal().AuditName);
        try
        {
            await store.SetAsync(tenantId, subjectRef, state, http.RequestAborted);
        }
        catch (ErasureInProgressException open)
        {
            return RecordEndpoints.ErasureInProgress(http, open.JobId);
        }

        await audit.RecordAsync(http, tenantId, state.Restricted ? "restriction.set" : "restriction.lift", $"subject/{subjectRef}/restriction", "success",
            JsonSerializer.SerializeToElement(new RestrictionAuditDetails(subjectRef, state.Restricted), ApiJsonContext.Default.RestrictionAuditDetails));
        return TypedResults.Ok(await ViewAsync(tenantId, subjectRef, store, http.RequestAborted));
    }

    private static async Task<IResult> GetAsync(string tenantId, string subjectId, HttpContext http, IRestrictionStore store, SubjectRefs subjectRefs)
    {
        if (!SubjectId.IsValid(subjectId))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["subjectId"] = [SubjectId.Rule] });
        }

        var subjectRef = await subjectRefs.ForAsync(http.Tenant()!, subjectId, http.RequestAborted);
        var view = await ViewAsync(tenantId, subjectRef, store, http.RequestAborted);
        // The service gates processing on the state alone: the ground, who decided and the history are the admins' (the ground
        // may describe the person).
        return TypedResults.Ok(RolePolicy.Allows(http.Principal().Roles, Capability.ManageRestriction)
            ? view
            : view with { Reason = null, UpdatedBy = null, History = [] });
    }

    private static async Task<RestrictionView> ViewAsync(string tenantId, string subjectRef, IRestrictionStore store, CancellationToken cancellationToken)
    {
        var current = await store.GetAsync(tenantId, subjectRef, cancellationToken);
        var history = await store.HistoryAsync(tenantId, subjectRef, cancellationToken);
        var never = current == RestrictionState.None;
        return new RestrictionView(current.Restricted, current.Reason, never ? null : current.UpdatedAt, never ? null : current.UpdatedBy,
            history.Select(c => new RestrictionChangeView(c.Restricted, c.Reason, c.At, c.By)).ToList());
    }
}
