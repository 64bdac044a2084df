using Lethe.Api.Auditing;
using Lethe.Api.Problems;
using Lethe.Domain.Jobs;
using Lethe.Domain.Requests;

namespace Lethe.Api.Endpoints;

/// <summary>How the start of a tenant-wide job (a retention sweep, an erasure replay) answers: 202 with the job, audited, or 409 naming the open one.</summary>
internal static class TenantJobResults
{
    public static async Task<IResult> StartedAsync(
        HttpContext http, string tenantId, SubmitOutcome outcome, AuditRecorder audit, string auditAction, string conflictType, string conflictTitle, string conflictDetail)
    {
        switch (outcome)
        {
            case Accepted accepted:
                await audit.RecordAsync(http, tenantId, auditAction, $"request/{accepted.Job.Id}", Domain.Audit.AuditActions.Success,
                    System.Text.Json.JsonSerializer.SerializeToElement(
                        new RequestAuditDetails(accepted.Job.Id, JobTypes.Name(accepted.Job.Type), accepted.Job.SubjectRef, JobStatuses.Name(accepted.Job.Status)),
                        ApiJsonContext.Default.RequestAuditDetails));
                return TypedResults.Accepted($"/v1/tenants/{tenantId}/requests/{accepted.Job.Id}", RequestEndpoints.View(accepted.Job, http, subjectId: null));
            case ErasureOpen open:
                return ProblemTypes.Conflict(http, conflictType, conflictTitle, conflictDetail, open.JobId);
            default:
                throw new InvalidOperationException("Unknown start outcome.");
        }
    }
}
