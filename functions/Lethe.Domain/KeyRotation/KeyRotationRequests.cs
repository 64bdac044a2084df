using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.KeyRotation;

/// <summary>Makes a fresh platform key for a tenant (with the current tenant-key policy). A port (KMS).</summary>
public interface ITenantKeyFactory
{
    Task<string> CreateFreshAsync(string tenantId, CancellationToken cancellationToken);
}

/// <summary>
/// Starts a key rotation of a tenant (API.md, POST …/key/rotate): to a fresh platform key, or to a key the tenant brings (checked
/// usable and not another tenant's by the caller first). One at a time: the job takes the tenant's rotation lock in the
/// transaction that stores it.
/// </summary>
public sealed class KeyRotationRequests(IJobStore jobs, IWorkflowStarter workflows, ITenantKeyFactory keys, TimeProvider clock)
{
    public async Task<SubmitOutcome> SubmitAsync(Tenant tenant, string? byokKeyArn, string requestedBy, string role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        // An open rotation is answered before a platform key is made for nothing.
        if (await jobs.OpenErasureAsync(tenant.Id, "key-rotation", cancellationToken) is { } open)
        {
            return new ErasureOpen(open);
        }

        var target = byokKeyArn ?? await keys.CreateFreshAsync(tenant.Id, cancellationToken);
        var now = clock.GetUtcNow();
        var job = new Job
        {
            Id = Job.NewId(now),
            TenantId = tenant.Id,
            Type = JobType.KeyRotation,
            SubjectRef = RequestService.TenantWideSubject,
            Status = JobStatus.Queued,
            Phase = JobPhases.Validate,
            CreatedAt = now,
            UpdatedAt = now,
            TargetKeyArn = target,
            TargetKeyByok = byokKeyArn is not null,
            PreviousKeyArn = tenant.KeyArn,
            PreviousKeyByok = tenant.ByokKey,
            RequestedBy = requestedBy,
            RequestedByRole = role,
        };
        return await jobs.CreateAsync(job, null, cancellationToken) switch
        {
            JobCreated created => new Accepted(await workflows.StartCurrentAsync(jobs, created.Job, cancellationToken), Replayed: false),
            ErasureAlreadyOpen raced => new ErasureOpen(raced.JobId),
            _ => throw new InvalidOperationException("A key rotation job could not be stored."),
        };
    }
}
