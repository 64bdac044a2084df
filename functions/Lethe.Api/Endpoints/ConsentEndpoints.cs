using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Records;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;


namespace Lethe.Api.Endpoints;

public sealed record ConsentRequest(bool? Granted);

public sealed record ConsentView(string Purpose, bool Granted, DateTimeOffset UpdatedAt, string UpdatedBy);

public sealed record ConsentChangeView(string Purpose, bool Granted, DateTimeOffset At, string By);

public sealed record ConsentList(IReadOnlyList<ConsentView> Items, IReadOnlyList<ConsentChangeView> History);

public sealed record ConsentAuditDetails(string SubjectRef, string Purpose, bool Granted);

/// <summary>Consents of a subject (API.md): set by the subject or a tenant admin, every change audited and kept.</summary>
public static class ConsentEndpoints
{
    public static IEndpointRouteBuilder MapConsentEndpoints(this IEndpointRouteBuilder routes)
    {
        var consents = routes.MapGroup("/v1/tenants/{tenantId}/subjects/{subjectId}/consents").WithTags("Consents");
        consents.MapPut("/{purpose}", PutAsync).RequireTenantAccess(Capability.ManageConsents)
            .WithName("PutConsent").WithSummary("Grants or withdraws consent to a purpose (for example ai-processing).")
            .Produces<ConsentView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        consents.MapGet("/", GetAsync).RequireTenantAccess(Capability.ReadConsents)
            .WithName("ListConsents").WithSummary("The subject's consents and their full history.")
            .Produces<ConsentList>().ProducesProblem(StatusCodes.Status403Forbidden);
        return routes;
    }

    private static async Task<IResult> PutAsync(
        string tenantId, string subjectId, string purpose, ConsentRequest? body, HttpContext http, IConsentStore store, SubjectRefs subjectRefs, AuditRecorder audit, TimeProvider clock)
    {
        if (!RolePolicy.MayActFor(http.Principal(), Capability.ManageConsents, subjectId))
        {
            return ProblemTypes.Forbidden(http);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!SubjectId.IsValid(subjectId))
        {
            errors["subjectId"] = [SubjectId.Rule];
        }

        if (!ConsentPurpose.IsValid(purpose))
        {
            errors["purpose"] = ["A purpose is [a-z][a-z0-9-]{1,39}, e.g. ai-processing."];
        }

        if (body?.Granted is null)
        {
            errors["granted"] = ["granted (true or false) is required."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var subjectRef = await subjectRefs.ForAsync(http.Tenant()!, subjectId, http.RequestAborted);
        var state = new ConsentState(purpose, body!.Granted!.Value, clock.GetUtcNow(), http.Principal().AuditName);
        try
        {
            await store.SetAsync(tenantId, subjectRef, state, http.RequestAborted);
        }
        catch (Domain.Errors.ErasureInProgressException open)
        {
            return RecordEndpoints.ErasureInProgress(http, open.JobId);
        }
        catch (ConsentSoftDeletedException)
        {
            return ProblemTypes.Conflict(http, "consent-soft-deleted", "Consent soft-deleted",
                "An erasure soft-deleted this consent. Restore it inside the recovery window before changing it; nothing was changed.");
        }

        await audit.RecordAsync(http, tenantId, state.Granted ? "consent.grant" : "consent.withdraw", $"subject/{subjectRef}/consent/{purpose}", "success",
            JsonSerializer.SerializeToElement(new ConsentAuditDetails(subjectRef, purpose, state.Granted), ApiJsonContext.Default.ConsentAuditDetails));
        return TypedResults.Ok(new ConsentView(state.Purpose, state.Granted, state.UpdatedAt, state.UpdatedBy));
    }

    private static async Task<IResult> GetAsync(string tenantId, string subjectId, HttpContext http, IConsentStore store, SubjectRefs subjectRefs)
    {
        if (!RolePolicy.MayActFor(http.Principal(), Capability.ReadConsents, subjectId))
        {
            return ProblemTypes.Forbidden(http);
        }

        if (!SubjectId.IsValid(subjectId))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["subjectId"] = [SubjectId.Rule] });
        }

        var subjectRef = await subjectRefs.ForAsync(http.Tenant()!, subjectId, http.RequestAborted);
        // A consent soft-deleted by an erasure is hidden like every other item of the subject (its history with it): the store says so.
        var current = await store.ListAsync(tenantId, subjectRef, http.RequestAborted);
        var history = await store.HistoryAsync(tenantId, subjectRef, http.RequestAborted);
        return TypedResults.Ok(new ConsentList(
            current.Select(c => new ConsentView(c.Purpose, c.Granted, c.UpdatedAt, c.UpdatedBy)).ToList(),
            history.Select(c => new ConsentChangeView(c.Purpose, c.Granted, c.At, c.By)).ToList()));
    }
}
