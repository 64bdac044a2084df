using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Domain.Ingest;
using Lethe.Domain.Records;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

/// <summary>The insight under review as a reviewer reads it (pseudonymized: tokens stand for people and PII).</summary>
public sealed record ReviewInsightView(string Summary, string Themes, string Model, string ModelVersion);

/// <summary>A review: its upload and insight, where it stands, who decided and which fields they edited.</summary>
public sealed record ReviewView(
    string Id, string UploadId, string RequestId, string InsightId, string Status, DateTimeOffset CreatedAt, string? DecidedBy, DateTimeOffset? DecidedAt,
    string? Reason, IReadOnlyList<string> EditedFields, ReviewInsightView? Insight);

public sealed record ReviewPage(IReadOnlyList<ReviewView> Items, string? NextCursor);

/// <summary>POST …/reviews/{id}/approve: the reviewer's edits of the insight's <c>summary</c> and <c>themes</c> (optional).</summary>
public sealed record ApproveReviewBody(Dictionary<string, string?>? Edits);

public sealed record RejectReviewBody(string? Reason);

/// <summary>What the audit keeps of a decision: ids and the edited fields' names, never their values or a rejection's reason.</summary>
public sealed record ReviewAuditDetails(string ReviewId, string UploadId, string SubjectRef, IReadOnlyList<string> EditedFields);

/// <summary>
/// Reviews (API.md, Records; DESIGN.md step 6): the insights waiting for a human, approved with edits or rejected with a reason
/// (tenant and platform admins). The decision answers the waiting ingest workflow; visibility is promoted only by its Deliver step.
/// </summary>
public static class ReviewEndpoints
{
    public static IEndpointRouteBuilder MapReviewEndpoints(this IEndpointRouteBuilder routes)
    {
        var reviews = routes.MapGroup("/v1/tenants/{tenantId}/reviews").WithTags("Uploads");
        reviews.MapGet("/", ListAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("ListReviews").WithSummary("Reviews of derived insights (status=pending|approved|rejected filters; limit 1–50, cursor). Each pending one shows its insight (pseudonymized).")
            .Produces<ReviewPage>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        reviews.MapPost("/{reviewId}/approve", ApproveAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("ApproveReview").WithSummary("Approves an insight, optionally with edits of summary and themes (kept as before and after, with the reviewer); the upload is then delivered and the insight shared. 409 when decided already.")
            .Produces<ReviewView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        reviews.MapPost("/{reviewId}/reject", RejectAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("RejectReview").WithSummary("Rejects an insight with a reason (1–500 characters): it stays staff only, the upload is delivered without it. 409 when decided already.")
            .Produces<ReviewView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<IResult> ListAsync(
        string tenantId, string? status, int? limit, string? cursor, HttpContext http, IReviewStore reviews, IRecordStore records, RecordService opener)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var wanted = Review.Parse(status);
        if (status is not null && wanted is null)
        {
            errors["status"] = ["status is pending, approved or rejected."];
        }

        if (limit is < 1 or > 50)
        {
            errors["limit"] = ["limit is 1–50."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var (items, next) = await reviews.ListAsync(tenantId, wanted, cursor, limit ?? 20, http.RequestAborted);
        var views = new List<ReviewView>();
        foreach (var review in items)
        {
            views.Add(await ViewAsync(review, http, records, opener, withInsight: review.Status == ReviewStatus.Pending));
        }

        return TypedResults.Ok(new ReviewPage(views, next));
    }

    private static async Task<IResult> ApproveAsync(
        string tenantId, string reviewId, ApproveReviewBody? body, HttpContext http, ReviewDecisions decisions, AuditRecorder audit, IRecordStore records, RecordService opener)
    {
        if (!ReviewDecisions.IsValidId(reviewId))
        {
            return ProblemTypes.NotFound(http, "review");
        }

        var edits = body?.Edits ?? [];
        var errors = ReviewDecisions.ValidateEdits(edits);
        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var (outcome, review) = await decisions.ApproveAsync(http.Tenant()!, reviewId, edits, http.Principal().AuditName, http.RequestAborted);
        return await AnswerAsync(outcome, review, "review.approve", tenantId, http, audit, records, opener);
    }

    private static async Task<IResult> RejectAsync(
        string tenantId, string reviewId, RejectReviewBody? body, HttpContext http, ReviewDecisions decisions, AuditRecorder audit, IRecordStore records, RecordService opener)
    {
        if (!ReviewDecisions.IsValidId(reviewId))
        {
            return ProblemTypes.NotFound(http, "review");
        }

        if (!ReviewDecisions.IsValidReason(body?.Reason))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["reason"] = [$"A reason is 1–{ReviewDecisions.MaxReasonLength} characters."] });
        }

        var (outcome, review) = await decisions.RejectAsync(http.Tenant()!, reviewId, body!.Reason!, http.Principal().AuditName, http.RequestAborted);
        return await AnswerAsync(outcome, review, "review.reject", tenantId, http, audit, records, opener);
    }

    private static async Task<IResult> AnswerAsync(
        ReviewDecisionOutcome outcome, Review? review, string action, string tenantId, HttpContext http, AuditRecorder audit, IRecordStore records, RecordService opener)
    {
        switch (outcome)
        {
            case ReviewDecisionOutcome.NotFound:
                return ProblemTypes.NotFound(http, "review");
            case ReviewDecisionOutcome.AlreadyDecided:
                return ProblemTypes.Conflict(http, "review-decided", "The review was decided already",
                    $"The review is {Review.Name(review!.Status)}{(review.DecidedBy is null ? string.Empty : $" (by {review.DecidedBy})")}: a decision is made once.");
            default:
                await audit.RecordAsync(http, tenantId, action, $"review/{review!.Id}", "success", JsonSerializer.SerializeToElement(
                    new ReviewAuditDetails(review.Id, review.UploadId, review.SubjectRef, [.. review.Edits.Keys.Order(StringComparer.Ordinal)]), ApiJsonContext.Default.ReviewAuditDetails));
                return TypedResults.Ok(await ViewAsync(review, http, records, opener, withInsight: false));
        }
    }

    private static async Task<ReviewView> ViewAsync(Review review, HttpContext http, IRecordStore records, RecordService opener, bool withInsight)
    {
        ReviewInsightView? insight = null;
        if (withInsight && await records.FindAsync(review.TenantId, review.InsightId, http.RequestAborted) is { } stored && http.Tenant()?.SealingKeyArn is { } keyArn)
        {
            var fields = (await opener.OpenAsync(stored, keyArn, http.RequestAborted)).Fields;
            insight = new ReviewInsightView(
                fields.GetValueOrDefault("summary") ?? string.Empty, fields.GetValueOrDefault("themes") ?? string.Empty,
                fields.GetValueOrDefault("model") ?? string.Empty, fields.GetValueOrDefault("modelVersion") ?? string.Empty);
        }

        return new ReviewView(review.Id, review.UploadId, review.JobId, review.InsightId, Review.Name(review.Status), review.CreatedAt, review.DecidedBy, review.DecidedAt,
            review.Reason, [.. review.Edits.Keys.Order(StringComparer.Ordinal)], insight);
    }
}
