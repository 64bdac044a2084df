using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Notifications;

namespace Lethe.Domain.Ingest.Steps;

/// <summary>
/// RequestReview (<c>lambda:invoke.waitForTaskToken</c>): the review is stored with the task's token (a replay stores its new
/// token while the review is pending), the upload is <c>awaiting_review</c>, and a <c>review.pending</c> notice (ids only) goes
/// out; the workflow then waits until the reviews API answers the token. A review decided already answers the new token itself.
/// </summary>
public sealed class RequestReviewStep(IngestPorts ports) : IngestStep(ports)
{
    public override async Task<IngestState> RunAsync(IngestState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var token = state.TaskToken ?? throw new ArgumentException("RequestReview runs with the task's token ($$.Task.Token).", nameof(state));
        var (job, tenant, upload) = await OpenAsync(state, cancellationToken);
        var reviewId = Review.IdFor(upload.Id);
        var review = new Review(reviewId, tenant.Id, upload.Id, job.Id, upload.SubjectRef, state.InsightId ?? string.Empty, ReviewStatus.Pending, Now) { TaskToken = token };
        if (!await Ports.Reviews.PutPendingAsync(review, cancellationToken))
        {
            // Decided while an earlier token waited (that execution lost it): the decision stands, this token carries it on.
            var decided = await Ports.Reviews.FindAsync(tenant.Id, reviewId, cancellationToken);
            await Ports.Callbacks.SucceedAsync(token, Outcome(decided?.Status ?? ReviewStatus.Rejected), cancellationToken);
            return state with { ReviewId = reviewId, TaskToken = null };
        }

        await Ports.Uploads.TryMoveAsync(tenant.Id, upload.Id, new UploadMove([UploadStatus.Processing], UploadStatus.AwaitingReview, Now), cancellationToken);
        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Evidence, JobPhases.Review, Now), cancellationToken);
        await AuditStepAsync(job, "review", "ingest.review.request", AuditActions.Success, new JsonObject { ["reviewId"] = reviewId, ["insightId"] = state.InsightId }, cancellationToken);
        // About the upload's ingest job (its request), with the review and upload ids: nothing else.
        await Ports.Notices.TrySendAsync(new Notification(tenant.Id, NotificationEvents.ReviewPending, job.Id, Now)
        {
            Ids = new Dictionary<string, string>(StringComparer.Ordinal) { ["reviewId"] = reviewId, ["uploadId"] = upload.Id },
        }, cancellationToken);
        return state with { ReviewId = reviewId, TaskToken = null };
    }

    /// <summary>What the waiting task is answered with (the workflow keeps it under <c>$.review</c>; the review itself is the record).</summary>
    public static string Outcome(ReviewStatus status) => new JsonObject { ["decision"] = Review.Name(status) }.ToJsonString();
}
