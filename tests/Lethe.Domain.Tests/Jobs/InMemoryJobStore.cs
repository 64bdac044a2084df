using Lethe.Domain.Jobs;

namespace Lethe.Domain.Tests.Jobs;

/// <summary>
/// The jobs port in memory, with the conditional semantics of the DynamoDB adapter: updates apply only in the named statuses
/// and phases, page counters move once per page, and the erasure lock lives beside the jobs.
/// </summary>
public sealed class InMemoryJobStore : IJobStore
{
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);

    /// <summary>The stored jobs, for a test to arrange and inspect directly.</summary>
    public Dictionary<string, Job> Items => _jobs;
    private readonly Dictionary<string, long> _pages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _locks = new(StringComparer.Ordinal);

    public Task<JobCreation> CreateAsync(Job job, IdempotencyReservation? reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var lockKey = $"{job.TenantId}/{(JobTypes.Locks(job.Type) ? JobTypes.LockName(job) : job.SubjectRef)}";
        if ((JobTypes.Locks(job.Type) || job.Type == JobType.Export) && _locks.TryGetValue(lockKey, out var open))
        {
            return Task.FromResult<JobCreation>(new ErasureAlreadyOpen(open));
        }

        if (JobTypes.Locks(job.Type))
        {
            _locks[lockKey] = job.Id;
        }

        _jobs[job.Id] = job;
        return Task.FromResult<JobCreation>(new JobCreated(job));
    }

    public Task<Job?> FindAsync(string tenantId, string jobId, CancellationToken cancellationToken) =>
        Task.FromResult(_jobs.TryGetValue(jobId, out var job) && job.TenantId == tenantId ? job : null);

    /// <summary>Newest first, filtered as the store filters; the cursor is the offset of the next page.</summary>
    public Task<(IReadOnlyList<Job> Items, string? NextCursor)> ListAsync(string tenantId, JobQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var all = _jobs.Values
            .Where(j => j.TenantId == tenantId && (query.Status is null || j.Status == query.Status) && (query.Type is null || j.Type == query.Type)
                && (query.SubjectRef is null || j.SubjectRef == query.SubjectRef)
                && (query.DueBefore is null || (j.Deadline is { } d && d < query.DueBefore))
                && (query.Overdue is null || j.IsOverdue(query.Now) == query.Overdue))
            .OrderByDescending(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal).ToList();
        var from = query.Cursor is null ? 0 : int.Parse(query.Cursor, System.Globalization.CultureInfo.InvariantCulture);
        var page = all.Skip(from).Take(query.Limit).ToList();
        var next = from + page.Count < all.Count ? (from + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return Task.FromResult<(IReadOnlyList<Job>, string?)>((page, next));
    }

    public Task<string?> OpenErasureAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) =>
        Task.FromResult(_locks.TryGetValue($"{tenantId}/{subjectRef}", out var jobId) ? jobId : null);

    public Task<Job?> TryUpdateAsync(string tenantId, string jobId, JobUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (!_jobs.TryGetValue(jobId, out var job) || !update.WhenStatus.Contains(job.Status)
            || (update.WhenPhase is { Count: > 0 } phases && !phases.Contains(job.Phase))
            || (update.MarkOverdue && job.OverdueAt is not null))
        {
            return Task.FromResult<Job?>(null);
        }

        var lockKey = $"{tenantId}/{JobTypes.LockName(job)}";
        if (update.AcquireErasureLock && _locks.TryGetValue(lockKey, out var holder) && holder != jobId)
        {
            return Task.FromResult<Job?>(null);
        }

        job = job with
        {
            UpdatedAt = update.At,
            Status = update.Status ?? job.Status,
            Phase = update.Phase ?? job.Phase,
            // As the store does: a phase move stamps when the phase began.
            PhaseStartedAt = update.Phase is not null ? update.At : job.PhaseStartedAt,
            CompletedAt = update.CompletedAt ?? job.CompletedAt,
            CertificateId = update.CertificateId ?? job.CertificateId,
            Errors = update.Error is { } error ? [.. job.Errors, error] : job.Errors,
            Execution = update.NextExecution ? job.Execution + 1 : job.Execution,
            PurgeStartedAt = update.MarkPurgeStarted ? job.PurgeStartedAt ?? update.At : job.PurgeStartedAt,
            DownloadExpiresAt = update.DownloadExpiresAt ?? job.DownloadExpiresAt,
            Counts = update.Total is { } total ? job.Counts with { Total = total } : job.Counts,
            PurgeAt = update.PurgeAt ?? job.PurgeAt,
            Decision = update.Decision ?? job.Decision,
            OverdueAt = update.MarkOverdue ? update.At : job.OverdueAt,
        };
        if (update.NextExecution || update.ResetPurge)
        {
            // As the store does: the ARN (and when it was seen running) belong to the execution that is no longer current.
            job = job with { ExecutionArn = null, ExecutionSeenAt = null };
        }

        if (update.ResetPurge)
        {
            job = job with { Counts = job.Counts with { Purged = 0, Failed = 0, Held = 0, Restored = 0, PurgedByCategory = new Dictionary<string, long>(), PurgedByStore = new Dictionary<string, long>(), VersionsDeleted = 0 }, Errors = [] };
            _pages.Remove($"{jobId}/{JobPhases.Purge}");
        }

        if (update.ReleaseErasureLock && _locks.TryGetValue(lockKey, out var owner) && owner == jobId)
        {
            _locks.Remove(lockKey);
        }

        if (update.AcquireErasureLock)
        {
            _locks[lockKey] = jobId;
        }

        _jobs[jobId] = job;
        return Task.FromResult<Job?>(job);
    }

    public Task<bool> RecordPageAsync(string tenantId, string jobId, string phase, long page, ErasureCounts earned, IReadOnlyList<JobError> errors, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(earned);
        var key = $"{jobId}/{phase}";
        if (!_jobs.TryGetValue(jobId, out var job) || (_pages.TryGetValue(key, out var recorded) && recorded >= page))
        {
            return Task.FromResult(false);
        }

        _pages[key] = page;
        var c = job.Counts;
        _jobs[jobId] = job with
        {
            UpdatedAt = at,
            Errors = [.. job.Errors, .. errors],
            Counts = new ErasureCounts(c.Total + earned.Total, c.SoftDeleted + earned.SoftDeleted, c.Purged + earned.Purged, c.Failed + earned.Failed, c.Restored + earned.Restored, c.Held + earned.Held)
            {
                PurgedByCategory = Sum(c.PurgedByCategory, earned.PurgedByCategory),
                PurgedByStore = Sum(c.PurgedByStore, earned.PurgedByStore),
                VersionsDeleted = c.VersionsDeleted + earned.VersionsDeleted,
                Archived = c.Archived + earned.Archived,
                Masked = c.Masked + earned.Masked,
            },
        };
        return Task.FromResult(true);
    }

    private static Dictionary<string, long> Sum(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b)
    {
        var sum = a.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        foreach (var (key, value) in b)
        {
            sum[key] = sum.GetValueOrDefault(key) + value;
        }

        return sum;
    }

    public Task<bool> RecordVolumeAsync(string tenantId, string jobId, ExportVolumeRecord volume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(volume);
        if (!_jobs.TryGetValue(jobId, out var job) || job.Status != JobStatus.Running || job.ExportParts + 1 != volume.Volume)
        {
            return Task.FromResult(false);
        }

        _jobs[jobId] = job with
        {
            ExportParts = volume.Volume,
            Exported = job.Exported + volume.Items,
            ExportBytes = job.ExportBytes + volume.Bytes,
            ExportCursor = volume.Cursor,
            ExportMore = volume.More,
        };
        return Task.FromResult(true);
    }

    public Task<bool> AdvanceExecutionAsync(string tenantId, string jobId, int current, IReadOnlyList<string> fromPhases, CancellationToken cancellationToken)
    {
        if (!_jobs.TryGetValue(jobId, out var job) || job.Execution != current || job.Status != JobStatus.Running || !fromPhases.Contains(job.Phase))
        {
            return Task.FromResult(false);
        }

        _jobs[jobId] = job with { Execution = current + 1, ExecutionArn = null, ExecutionSeenAt = null };
        return Task.FromResult(true);
    }

    public Task SetExecutionArnAsync(string tenantId, string jobId, int execution, string executionArn, CancellationToken cancellationToken)
    {
        if (_jobs.TryGetValue(jobId, out var job) && job.Execution == execution)
        {
            _jobs[jobId] = job with { ExecutionArn = executionArn };
        }

        return Task.CompletedTask;
    }

    public Task MarkExecutionSeenAsync(string tenantId, string jobId, int execution, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (_jobs.TryGetValue(jobId, out var job) && job.Execution == execution)
        {
            _jobs[jobId] = job with { ExecutionSeenAt = at };
        }

        return Task.CompletedTask;
    }

    public Task ForgetReasonsAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        foreach (var job in _jobs.Values.Where(j => j.TenantId == tenantId && j.SubjectRef == subjectRef).ToList())
        {
            _jobs[job.Id] = job with { Reason = null, Decision = job.Decision is { } d ? d with { Reason = null } : null };
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<Job>> ListOpenAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Job>>(_jobs.Values.Where(j => JobStatuses.IsOpen(j.Status)).ToList());
}
