using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.BackupScrub.Steps;

/// <summary>What the backup scrub's steps share on top of the kernel: their ports, the source job and its certificate.</summary>
public abstract class BackupScrubStep(BackupScrubPorts ports)
    : WorkflowStep<BackupScrubState>(BackupScrubWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    protected BackupScrubPorts Ports { get; } = ports;

    /// <summary>The job the scrub supplements and the certificate it ended with; the scrub has nothing to stand on without both.</summary>
    protected async Task<(Job Source, SignedCertificate Certificate)> SourceAsync(Job job, CancellationToken cancellationToken)
    {
        var source = job.SourceJobId is { } id ? await Jobs.FindAsync(job.TenantId, id, cancellationToken) : null;
        if (source is null || BackupScrubWorkflow.SourceCertificateType(source.Type) is not { } type)
        {
            throw new ScrubSourceException($"Backup scrub {job.Id} names no deletion or retention run ({job.SourceJobId ?? "none"}).");
        }

        var certificate = await Ports.Certificates.FindAsync(job.TenantId, source.Id, type, cancellationToken)
            ?? throw new ScrubSourceException($"Job {source.Id} has no {type} certificate: a scrub supplements a certified deletion only.");
        return (source, certificate);
    }

    /// <summary>The backups as they are now: a table whose PITR window exceeds 30 days fails the scrub, naming the table.</summary>
    protected async Task<BackupReport> InspectBackupsAsync(Job job, CancellationToken cancellationToken)
    {
        var report = await Ports.Backups.InspectAsync(job.CreatedAt, cancellationToken);
        if (report.TooLong(BackupScrubWorkflow.MaxBackupDays) is { Count: > 0 } tooLong)
        {
            throw new BackupWindowTooLongException(
                $"Point-in-time recovery keeps {string.Join(", ", tooLong.Select(t => $"{t.Table} for {t.RecoveryPeriodDays} days"))}: set RecoveryPeriodInDays to {BackupScrubWorkflow.MaxBackupDays} or less, then retry the scrub.");
        }

        return report;
    }

    /// <summary>
    /// When the longest PITR window from before the deletion (the job's creation, after the source's purge) ends, on the tenant's
    /// time scale: no backup holds what was deleted after it. The tombstones are read only then.
    /// </summary>
    protected async Task<DateTimeOffset> WindowEndAsync(Job job, BackupReport report, CancellationToken cancellationToken)
    {
        var scale = (await Ports.Tenants.FindAsync(job.TenantId, cancellationToken))?.TimeScale ?? 1;
        // At least a day, even without PITR: the tombstone index (a GSI) has long caught up with the purge when the scrub reads it.
        var window = TimeSpan.FromDays(Math.Max(1, report.LongestRecoveryDays));
        var end = Policies.LifecyclePolicy.Deadline(job.CreatedAt, window, scale);
        // To the millisecond, as every stored time: the job's deadline was cut to it when it was stored, and on a scaled tenant a
        // window of whole days ends at a fraction of one, which would otherwise put the window's end a hair after that deadline.
        return new DateTimeOffset(end.UtcTicks - end.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }
}
