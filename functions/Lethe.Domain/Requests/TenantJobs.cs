using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Requests;

/// <summary>
/// Jobs of a whole tenant that run one at a time (a retention sweep, an erasure replay): the job takes its tenant lock in the
/// transaction that stores it, so a second submission while one is open gets <see cref="ErasureOpen"/> naming the open one and
/// nothing is stored.
/// </summary>
public static class TenantJobs
{
    public static async Task<SubmitOutcome> SubmitAsync(
        IJobStore jobs, IWorkflowStarter workflows, Tenant tenant, JobType type, DateTimeOffset now, string requestedBy, string role, CancellationToken cancellationToken,
        Func<Job, Job>? shape = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(tenant);
        var job = new Job
        {
            Id = Job.NewId(now),
            TenantId = tenant.Id,
            Type = type,
            SubjectRef = RequestService.TenantWideSubject,
            Status = JobStatus.Queued,
            Phase = JobPhases.Validate,
            CreatedAt = now,
            UpdatedAt = now,
            RequestedBy = requestedBy,
            RequestedByRole = role,
        };
        job = shape?.Invoke(job) ?? job;
        return await jobs.CreateAsync(job, null, cancellationToken) switch
        {
            JobCreated created => new Accepted(await workflows.StartCurrentAsync(jobs, created.Job, cancellationToken), Replayed: false),
            ErasureAlreadyOpen open => new ErasureOpen(open.JobId),
            _ => throw new InvalidOperationException($"A {JobTypes.Name(type)} job could not be stored."),
        };
    }
}
