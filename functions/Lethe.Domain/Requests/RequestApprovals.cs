using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Policies;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Requests;

/// <summary>What an approve or deny came to.</summary>
public enum ApprovalOutcome
{
    /// <summary>Approved (the execution started) or denied.</summary>
    Done,

    /// <summary>No deletion or export of this id in the tenant.</summary>
    NotFound,

    /// <summary>The request is not waiting for approval (never needed one, or was decided already).</summary>
    NotAwaiting,

    /// <summary>Under four-eyes, the approver is the submitter.</summary>
    FourEyes,

    /// <summary><c>pauseApprovalsOnFailure</c>: a failed request of the tenant is neither retried nor closed.</summary>
    Paused,

    /// <summary>An erasure whose subject came under a legal hold while it waited: it cannot start.</summary>
    Held,
}

/// <summary>An approval decision as the API answers it: the outcome, the job after it, and the failed request that paused it.</summary>
public sealed record ApprovalResult(ApprovalOutcome Outcome, Job? Job, string? BlockingJobId = null);

/// <summary>
/// The approval policy of API.md (Approval): a deletion or export submitted under <c>one</c> or <c>four-eyes</c> waits in
/// <c>awaiting-approval</c>; approve queues and starts it (an erasure's recovery window counted from then), deny ends it.
/// Each decision is one conditional write from <c>awaiting-approval</c>, so two approvers racing cannot both decide.
/// </summary>
public sealed class RequestApprovals(IJobStore jobs, IWorkflowStarter workflows, IHoldCheck holds, TimeProvider clock)
{
    /// <param name="approverKey">The approver's keyed <c>sub</c>, compared with the submitter's under four-eyes.</param>
    public async Task<ApprovalResult> ApproveAsync(Tenant tenant, string jobId, string approver, string approverKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var job = await FindRequestAsync(tenant.Id, jobId, cancellationToken);
        if (job is null)
        {
            return new(ApprovalOutcome.NotFound, null);
        }

        if (job.Status != JobStatus.AwaitingApproval)
        {
            return new(ApprovalOutcome.NotAwaiting, job);
        }

        // The policy the request was submitted under decides: a later change of the setting does not lower the bar for it.
        if (job.Approval == ApprovalPolicy.FourEyes && (job.RequestedByKey is null || job.RequestedByKey == approverKey))
        {
            return new(ApprovalOutcome.FourEyes, job);
        }

        if (tenant.Requests.PauseApprovalsOnFailure && await FailedRequestAsync(tenant.Id, cancellationToken) is { } failed)
        {
            return new(ApprovalOutcome.Paused, job, failed.Id);
        }

        if (job.Type == JobType.Deletion && await holds.IsHeldAsync(tenant.Id, job.SubjectRef, cancellationToken))
        {
            return new(ApprovalOutcome.Held, job);
        }

        var now = clock.GetUtcNow();
        var purgeAt = job.Type == JobType.Deletion ? RequestService.RecoveryWindowEnd(tenant, now) : (DateTimeOffset?)null;
        var approved = await jobs.TryUpdateAsync(tenant.Id, jobId, JobTransitions.Approve(approver, purgeAt, now), cancellationToken);
        if (approved is null)
        {
            return new(ApprovalOutcome.NotAwaiting, await jobs.FindAsync(tenant.Id, jobId, cancellationToken));
        }

        try
        {
            return new(ApprovalOutcome.Done, await workflows.StartCurrentAsync(jobs, approved, cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The decision stands: the job is queued without an execution, and reconciliation starts it (same name, so once).
            return new(ApprovalOutcome.Done, approved);
        }
    }

    public async Task<ApprovalResult> DenyAsync(string tenantId, string jobId, string approver, string reason, CancellationToken cancellationToken)
    {
        var job = await FindRequestAsync(tenantId, jobId, cancellationToken);
        if (job is null)
        {
            return new(ApprovalOutcome.NotFound, null);
        }

        if (job.Status != JobStatus.AwaitingApproval)
        {
            return new(ApprovalOutcome.NotAwaiting, job);
        }

        var denied = await jobs.TryUpdateAsync(tenantId, jobId, JobTransitions.Deny(job.Type, approver, reason, clock.GetUtcNow()), cancellationToken);
        return denied is null
            ? new(ApprovalOutcome.NotAwaiting, await jobs.FindAsync(tenantId, jobId, cancellationToken))
            : new(ApprovalOutcome.Done, denied);
    }

    /// <summary>A deletion or export of the tenant that is failed: neither retried (running again) nor closed (cancelled).</summary>
    public async Task<Job?> FailedRequestAsync(string tenantId, CancellationToken cancellationToken)
    {
        foreach (var type in new[] { JobType.Deletion, JobType.Export })
        {
            var (failed, _) = await jobs.ListAsync(tenantId, new JobQuery(JobStatus.Failed, type, null, null, 1), cancellationToken);
            if (failed.Count > 0)
            {
                return failed[0];
            }
        }

        return null;
    }

    private async Task<Job?> FindRequestAsync(string tenantId, string jobId, CancellationToken cancellationToken) =>
        await jobs.FindAsync(tenantId, jobId, cancellationToken) is { Type: JobType.Deletion or JobType.Export } job ? job : null;
}
