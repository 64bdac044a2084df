using System.Security.Cryptography;
using System.Text;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Policies;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.BackupScrub;

/// <summary>Starts the backup scrub owed for a certified deletion, retention run or offboarding. A port of their workflows.</summary>
public interface IBackupScrubStarter
{
    /// <summary>Stores (once) and starts the scrub of <paramref name="source"/>; a replay finds the same job and starts it again, idempotently.</summary>
    Task<Job> StartAsync(Job source, CancellationToken cancellationToken);
}

/// <summary>
/// The scrub's job is named after its source (<see cref="IdFor"/>), so a replayed start stores nothing twice; it is due 30 days
/// (on the tenant's time scale) after it is stored, which is after the source's purge ended.
/// </summary>
public sealed class BackupScrubRequests(IJobStore jobs, IWorkflowStarter workflows, ITenantRepository tenants, TimeProvider clock) : IBackupScrubStarter
{
    /// <summary>
    /// <c>job_</c>, the source's 12 hex digits of time, then 16 of a hash of the source id: the shape of every job id, sorted next to
    /// its source, and the same for every replay.
    /// </summary>
    public static string IdFor(string sourceJobId)
    {
        ArgumentNullException.ThrowIfNull(sourceJobId);
        var time = sourceJobId.Length >= 16 && sourceJobId.StartsWith("job_", StringComparison.Ordinal) ? sourceJobId[4..16] : "000000000000";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"backup-scrub:{sourceJobId}")))[..16];
        return $"job_{time}{hash}";
    }

    public async Task<Job> StartAsync(Job source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var id = IdFor(source.Id);
        var job = await jobs.FindAsync(source.TenantId, id, cancellationToken);
        if (job is null)
        {
            var now = clock.GetUtcNow();
            var tenant = await tenants.FindAsync(source.TenantId, cancellationToken);
            var created = await jobs.CreateAsync(new Job
            {
                Id = id,
                TenantId = source.TenantId,
                Type = JobType.BackupScrub,
                SubjectRef = source.SubjectRef,
                SourceJobId = source.Id,
                Status = JobStatus.Queued,
                Phase = JobPhases.Validate,
                CreatedAt = now,
                UpdatedAt = now,
                Deadline = LifecyclePolicy.Deadline(now, LifecyclePolicy.BackupScrubDeadline, tenant?.TimeScale ?? 1),
                RequestedBy = BackupScrubWorkflow.Actor.Sub,
                RequestedByRole = BackupScrubWorkflow.Actor.Role,
            }, null, cancellationToken);
            job = created switch
            {
                JobCreated stored => stored.Job,
                // Stored by a replay that raced this one.
                _ => await jobs.FindAsync(source.TenantId, id, cancellationToken) ?? throw new InvalidOperationException($"The backup scrub of job {source.Id} could not be stored."),
            };
        }

        return JobStatuses.IsOpen(job.Status) && job.ExecutionArn is null ? await workflows.StartCurrentAsync(jobs, job, cancellationToken) : job;
    }
}
