using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Notifications;

namespace Lethe.Domain.Ingest.Steps;

/// <summary>
/// Deliver: an approved insight gets the reviewer's edits and is promoted to <c>shared</c> (the subject reads it; promotion
/// happens only here, only on approval); a rejected one stays staff only. The upload is <c>delivered</c>, and an
/// <c>upload.delivered</c> notice carries ids only (the app links them to its own page); the job completes.
/// </summary>
public sealed class DeliverStep(IngestPorts ports) : IngestStep(ports)
{
    public override async Task<IngestState> RunAsync(IngestState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var current = await CurrentJobAsync(state, cancellationToken);
        if (current.Status == JobStatus.Completed)
        {
            return state;
        }

        var (job, tenant, upload) = await OpenAsync(state, cancellationToken);
        // The review of an insight, if there was one (its id is the upload's; RequestReview's own output is not passed on).
        var review = state.InsightId is null ? null : await Ports.Reviews.FindAsync(tenant.Id, Review.IdFor(upload.Id), cancellationToken);
        var shared = false;
        // Consent withdrawn or processing restricted while the review waited: the insight is not shared (kept staff only).
        var withheld = review is { Status: ReviewStatus.Approved } && (
            (await Ports.Restrictions.GetAsync(tenant.Id, upload.SubjectRef, cancellationToken)).Restricted
            || !(await Ports.Consents.ListAsync(tenant.Id, upload.SubjectRef, cancellationToken)).Any(c => c.Purpose == Records.ConsentPurpose.AiProcessing && c.Granted));
        if (review is { Status: ReviewStatus.Approved } && !withheld && await Ports.RecordStore.FindAsync(tenant.Id, review.InsightId, cancellationToken) is { } insight)
        {
            if (insight.Visibility != IngestWorkflow.ApprovedVisibility)
            {
                var edits = review.Edits.ToDictionary(e => e.Key, e => (string?)e.Value.After, StringComparer.Ordinal);
                await Ports.Records.RectifyAsync(insight, KeyArn(tenant), edits, cancellationToken, IngestWorkflow.ApprovedVisibility);
            }

            shared = true;
        }

        job = await MoveAsync(job, JobTransitions.AdvanceFromAny([JobPhases.Store, JobPhases.Derive, JobPhases.Evidence, JobPhases.Review], JobPhases.Deliver, Now), cancellationToken);
        var itemId = shared ? review!.InsightId : state.RecordId ?? upload.ItemId;
        await Ports.Uploads.TryMoveAsync(tenant.Id, upload.Id, new UploadMove([UploadStatus.Processing, UploadStatus.AwaitingReview], UploadStatus.Delivered, Now) { ItemId = state.RecordId }, cancellationToken);
        await AuditStepAsync(job, "deliver", "ingest.deliver", AuditActions.Success, new JsonObject
        {
            ["recordId"] = state.RecordId,
            ["insightId"] = review?.InsightId,
            ["review"] = review is null ? "none" : Review.Name(review.Status),
            ["withheld"] = withheld,
            ["visibility"] = shared ? IngestWorkflow.ApprovedVisibility : IngestWorkflow.PendingVisibility,
        }, cancellationToken);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal) { ["uploadId"] = upload.Id };
        if (itemId is not null)
        {
            ids["itemId"] = itemId;
        }

        await Ports.Notices.TrySendAsync(new Notification(tenant.Id, NotificationEvents.UploadDelivered, job.Id, Now) { Ids = ids }, cancellationToken);
        await CompleteOnceAsync(state, JobPhases.Deliver, _ => Task.CompletedTask, cancellationToken);
        return state;
    }
}
