using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Jobs;
using Lethe.Domain.Requests;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

public sealed record DenyRequestBody(string? Reason);

/// <summary>An approver's decision as a job shows it: approved or denied, by whom, when, and a denial's reason.</summary>
public sealed record DecisionView(string Decision, string By, DateTimeOffset At, string? Reason);

public sealed record DecisionAuditDetails(string RequestId, string Type, string SubjectRef, string Decision, string Policy);

/// <summary>Approval (API.md, Requests): approve or deny a deletion or export waiting in <c>awaiting-approval</c>.</summary>
public static partial class RequestEndpoints
{
    public static IEndpointRouteBuilder MapApprovalEndpoints(this IEndpointRouteBuilder routes)
    {
        var requests = routes.MapGroup("/v1/tenants/{tenantId}/requests").WithTags("Requests");
        requests.MapPost("/{requestId}/approve", ApproveAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("ApproveRequest")
            .WithSummary("Starts a deletion or export waiting for approval (tenant-admin). Under four-eyes the approver must not be the submitter (403 …/four-eyes); with pauseApprovalsOnFailure, 409 …/approvals-paused while a request of the tenant is failed and neither retried nor closed.")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapPost("/{requestId}/deny", DenyAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("DenyRequest").WithSummary("Ends a deletion or export waiting for approval as denied, with a reason (kept on the request, not in the audit chain).")
            .Produces<JobView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<IResult> ApproveAsync(
        string tenantId, string requestId, HttpContext http, RequestApprovals approvals, SubjectRefs subjectRefs, JobSubjects subjects, AuditRecorder audit)
    {
        if (requestId.Length is 0 or > 64)
        {
            return ProblemTypes.NotFound(http, "request");
        }

        var tenant = http.Tenant()!;
        var principal = http.Principal();
        var approverKey = await subjectRefs.CallerKeyAsync(tenant, principal.Sub, http.RequestAborted);
        var result = await approvals.ApproveAsync(tenant, requestId, principal.AuditName, approverKey, http.RequestAborted);
        switch (result.Outcome)
        {
            case ApprovalOutcome.Done:
                await audit.RecordAsync(http, tenantId, "request.approve", $"request/{requestId}", Domain.Audit.AuditActions.Success, DecisionDetails(result.Job!, "approved"));
                return TypedResults.Accepted($"/v1/tenants/{tenantId}/requests/{requestId}", await subjects.ViewAsync(result.Job!, http));
            case ApprovalOutcome.FourEyes:
                await audit.RecordAsync(http, tenantId, "request.approve", $"request/{requestId}", Domain.Audit.AuditActions.Denied, DecisionDetails(result.Job!, "four-eyes"));
                return ProblemTypes.Create(http, StatusCodes.Status403Forbidden, "four-eyes", "A second approver is needed",
                    "This tenant approves requests with four eyes: the approver must be another person than the one who submitted the request. Nothing was changed.");
            case ApprovalOutcome.Paused:
                return ProblemTypes.Conflict(http, "approvals-paused", "Approvals are paused",
                    "pauseApprovalsOnFailure is on and a request of this tenant is failed (jobId): retry it or close it (cancel) before approving more. Nothing was changed.", result.BlockingJobId);
            case ApprovalOutcome.Held:
                return ProblemTypes.Conflict(http, "legal-hold", "Subject under legal hold",
                    "A legal hold was placed on this subject while the erasure waited for approval: it cannot start while the hold stands. Deny it, or approve it once the hold is released.", requestId);
            default:
                return DecisionRefused(http, result);
        }
    }

    private static async Task<IResult> DenyAsync(
        string tenantId, string requestId, DenyRequestBody? body, HttpContext http, RequestApprovals approvals, JobSubjects subjects, AuditRecorder audit)
    {
        var reason = body?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > RequestSubmission.MaxReasonLength)
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]>
            {
                ["reason"] = [$"A reason of 1–{RequestSubmission.MaxReasonLength} characters is required: the requester is owed one."],
            });
        }

        if (requestId.Length is 0 or > 64)
        {
            return ProblemTypes.NotFound(http, "request");
        }

        var result = await approvals.DenyAsync(tenantId, requestId, http.Principal().AuditName, reason, http.RequestAborted);
        if (result.Outcome != ApprovalOutcome.Done)
        {
            return DecisionRefused(http, result);
        }

        await audit.RecordAsync(http, tenantId, "request.deny", $"request/{requestId}", Domain.Audit.AuditActions.Success, DecisionDetails(result.Job!, "denied"));
        return TypedResults.Ok(await subjects.ViewAsync(result.Job!, http));
    }

    private static IResult DecisionRefused(HttpContext http, ApprovalResult result) => result.Outcome == ApprovalOutcome.NotFound
        ? ProblemTypes.NotFound(http, "deletion or export request")
        : ProblemTypes.Conflict(http, "not-awaiting-approval", "Request is not waiting for approval",
            $"The request is {JobStatuses.Name(result.Job!.Status)}: only a request in awaiting-approval can be approved or denied. Nothing was changed.", result.Job.Id);

    private static JsonElement DecisionDetails(Job job, string decision) => JsonSerializer.SerializeToElement(
        new DecisionAuditDetails(job.Id, JobTypes.Name(job.Type), job.SubjectRef, decision, Domain.Policies.ApprovalPolicies.Name(job.Approval)),
        ApiJsonContext.Default.DecisionAuditDetails);

    /// <summary>The decision a job shows (null while none was made).</summary>
    public static DecisionView? DecisionOf(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Decision is { } d ? new DecisionView(d.Approved ? "approved" : "denied", d.By, d.At, d.Reason) : null;
    }
}
