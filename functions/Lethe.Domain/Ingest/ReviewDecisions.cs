using Lethe.Domain.Connectors;
using Lethe.Domain.Ingest.Steps;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Ingest;

/// <summary>What a decision on a review came to.</summary>
public enum ReviewDecisionOutcome
{
    Decided,
    NotFound,

    /// <summary>Approved or rejected already (by someone else, or a replay): nothing changed.</summary>
    AlreadyDecided,
}

/// <summary>
/// The reviewer's side of step 6 (DESIGN.md, approve): approve with edits (each kept as before and after, the reviewer named) or
/// reject with a reason; the decision is written once (conditional on the review being pending), then the waiting workflow is
/// answered. Promotion of the insight's visibility happens in the workflow's Deliver step, never here.
/// </summary>
public sealed class ReviewDecisions(IReviewStore reviews, IRecordStore records, RecordService opener, ITaskCallbacks callbacks, TimeProvider clock)
{
    /// <summary>The insight's fields a reviewer may edit.</summary>
    public static readonly IReadOnlyList<string> EditableFields = ["summary", "themes"];

    public const int MaxReasonLength = 500;

    /// <summary>Each bad edit's problem, by field (<c>edits.{name}</c>); empty when valid.</summary>
    public static Dictionary<string, string[]> ValidateEdits(IReadOnlyDictionary<string, string?>? edits)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (name, value) in edits ?? new Dictionary<string, string?>())
        {
            if (!EditableFields.Contains(name, StringComparer.Ordinal))
            {
                errors[$"edits.{name}"] = [$"Only {string.Join(" and ", EditableFields)} can be edited."];
            }
            else if (value is null || value.Trim().Length == 0 || value.Length > RecordRules.MaxFieldValueLength)
            {
                errors[$"edits.{name}"] = [$"An edit is 1–{RecordRules.MaxFieldValueLength} characters."];
            }
        }

        return errors;
    }

    /// <summary>Review ids: <c>rev_</c> and 32 lowercase hex digits (anything else names no review).</summary>
    public static bool IsValidId(string? reviewId) => reviewId is { Length: 36 } && reviewId.StartsWith("rev_", StringComparison.Ordinal) && UploadIds.IsValid("upl_" + reviewId[4..]);

    public static bool IsValidReason(string? reason) => reason is { Length: > 0 and <= MaxReasonLength } && reason.Trim().Length > 0;

    public async Task<(ReviewDecisionOutcome Outcome, Review? Review)> ApproveAsync(
        Tenant tenant, string reviewId, IReadOnlyDictionary<string, string?> edits, string reviewer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(edits);
        var review = await reviews.FindAsync(tenant.Id, reviewId, cancellationToken);
        if (review is null || review.Status != ReviewStatus.Pending)
        {
            return (review is null ? ReviewDecisionOutcome.NotFound : ReviewDecisionOutcome.AlreadyDecided, review);
        }

        var changes = new Dictionary<string, ReviewEdit>(StringComparer.Ordinal);
        if (edits.Count > 0)
        {
            var insight = await records.FindAsync(tenant.Id, review.InsightId, cancellationToken);
            if (insight is null)
            {
                return (ReviewDecisionOutcome.NotFound, null);
            }

            var current = (await opener.OpenAsync(insight, tenant.SealingKeyArn ?? string.Empty, cancellationToken)).Fields;
            foreach (var (name, value) in edits)
            {
                var before = current.GetValueOrDefault(name);
                if (!string.Equals(before, value, StringComparison.Ordinal))
                {
                    changes[name] = new ReviewEdit(before, value!);
                }
            }
        }

        return await DecideAsync(review with
        {
            Status = ReviewStatus.Approved,
            DecidedBy = reviewer,
            DecidedAt = clock.GetUtcNow(),
            Edits = changes,
        }, cancellationToken);
    }

    public async Task<(ReviewDecisionOutcome Outcome, Review? Review)> RejectAsync(Tenant tenant, string reviewId, string reason, string reviewer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var review = await reviews.FindAsync(tenant.Id, reviewId, cancellationToken);
        if (review is null || review.Status != ReviewStatus.Pending)
        {
            return (review is null ? ReviewDecisionOutcome.NotFound : ReviewDecisionOutcome.AlreadyDecided, review);
        }

        return await DecideAsync(review with { Status = ReviewStatus.Rejected, DecidedBy = reviewer, DecidedAt = clock.GetUtcNow(), Reason = reason }, cancellationToken);
    }

    private async Task<(ReviewDecisionOutcome, Review?)> DecideAsync(Review decided, CancellationToken cancellationToken)
    {
        if (!await reviews.DecideAsync(decided, cancellationToken))
        {
            var now = await reviews.FindAsync(decided.TenantId, decided.Id, cancellationToken);
            return (now is null ? ReviewDecisionOutcome.NotFound : ReviewDecisionOutcome.AlreadyDecided, now);
        }

        // The decision stands once written; the token answered is the one stored now (a replayed RequestReview may have stored
        // a newer one than this decision read; one that runs later finds the decision and answers its own token).
        var stored = await reviews.FindAsync(decided.TenantId, decided.Id, cancellationToken);
        if ((stored?.TaskToken ?? decided.TaskToken) is { } token)
        {
            await callbacks.SucceedAsync(token, RequestReviewStep.Outcome(decided.Status), cancellationToken);
        }

        return (ReviewDecisionOutcome.Decided, decided with { TaskToken = null });
    }
}
