using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.BackupScrub.Steps;

/// <summary>
/// Certify: every tombstone was scrubbed without failure, no table keeps PITR longer than 30 days and no on-demand backup from
/// before the deletion is left; then the supplemental <c>backup-scrub</c> certificate,
/// naming the original by id and payload hash, is signed and written once under the source's request id, and the job completes.
/// </summary>
public sealed class CertifyStep(BackupScrubPorts ports) : BackupScrubStep(ports)
{
    /// <summary>Tables a failure names (the job's message stays short).</summary>
    private const int NamedBackups = 5;

    /// <summary>The table a backup ARN belongs to (<c>arn:…:table/{name}/backup/{id}</c>).</summary>
    private static string TableOf(string backupArn) =>
        backupArn.Split('/') is { Length: >= 2 } parts && parts[0].EndsWith(":table", StringComparison.Ordinal) ? parts[1] : "a table";

    public override async Task<BackupScrubState> RunAsync(BackupScrubState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await CurrentJobAsync(state, cancellationToken);
        if (job.Status != JobStatus.Completed)
        {
            if (!JobStatuses.IsOpen(job.Status))
            {
                throw new JobNotActiveException($"Job {job.Id} is {JobStatuses.Name(job.Status)}; it cannot be certified.");
            }

            // When the copies were gone: the moment the last scrub page moved the job to its window (kept through a replay here).
            var scrubbedAt = job.PhaseStartedAt ?? Now;
            job = await MoveAsync(job, JobTransitions.Advance(JobPhases.BackupWindow, JobPhases.Certify, Now), cancellationToken);
            job = await CertifyAsync(job, scrubbedAt, cancellationToken);
        }

        await AuditOnceAsync(job, "certify", "backup-scrub.certificate", AuditActions.Success, new JsonObject { ["certificateId"] = job.CertificateId, ["sourceJobId"] = job.SourceJobId }, cancellationToken);
        return state with { More = false, HandOver = false };
    }

    private async Task<Job> CertifyAsync(Job job, DateTimeOffset scrubbedAt, CancellationToken cancellationToken)
    {
        if (job.Counts.Failed > 0)
        {
            throw new ScrubSourceException($"{job.Counts.Failed} purged key(s) could not be scrubbed; they are listed on the job.");
        }

        var (source, original) = await SourceAsync(job, cancellationToken);

        var report = await InspectBackupsAsync(job, cancellationToken);
        var windowEnd = await WindowEndAsync(job, report, cancellationToken);
        if (!await WaitStates.WaitOutRemainderAsync(windowEnd, Clock, cancellationToken))
        {
            // A table's recovery period grew since Begin: its window from before the deletion is still open.
            throw new BackupWindowTooLongException($"Point-in-time recovery now keeps {report.LongestRecoveryDays} days: the window from before the deletion ends at {Timestamps.Format(windowEnd)}. Retry the scrub after that.");
        }

        if (report.BackupsBefore.Count > 0)
        {
            throw new BackupOutlivesDeletionException(
                $"{report.BackupsBefore.Count} on-demand backup(s) taken before the deletion still exist and hold what it deleted: {string.Join(", ", report.BackupsBefore.Take(NamedBackups))}. Delete them (or restore, replay the erasures, and back up again), then retry the scrub.");
        }

        var certificate = await Ports.Certificates.FindAsync(job.TenantId, source.Id, BackupScrubCertificate.Type, cancellationToken)
            ?? await IssueAsync(job, source, original, report, scrubbedAt, windowEnd, cancellationToken);
        await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.AttachCertificate(certificate.CertificateId, Now), cancellationToken);
        if (await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Complete(job.Type, JobPhases.Certify, Now), cancellationToken) is { } completed)
        {
            return completed;
        }

        // A replay that completed it already, or a job closed meanwhile.
        var current = await Jobs.FindAsync(job.TenantId, job.Id, cancellationToken);
        return current is { Status: JobStatus.Completed } ? current : throw new JobNotActiveException($"Job {job.Id} could not complete: it is {(current is null ? "gone" : JobStatuses.Name(current.Status))}.");
    }

    /// <summary>
    /// How soon after the window the final check must run to count as "right after" it: a day, on the tenant's clock, but never
    /// less than a Wait state's wake-up and a step's start can take on a busy machine (a scaled day is a fraction of a second
    /// locally; in AWS the day is the bound).
    /// </summary>
    private static TimeSpan CheckTolerance(int scale)
    {
        var scaled = Policies.LifecyclePolicy.Scaled(BackupScrubWorkflow.CheckTolerance, scale);
        return scaled < BackupScrubWorkflow.MinimumCheckTolerance ? BackupScrubWorkflow.MinimumCheckTolerance : scaled;
    }

    private async Task<SignedCertificate> IssueAsync(
        Job job, Job source, SignedCertificate original, BackupReport report, DateTimeOffset scrubbedAt, DateTimeOffset windowEnd, CancellationToken cancellationToken)
    {
        var head = await Ports.Chain.ReadHeadAsync(job.TenantId, cancellationToken);
        var byStore = job.Counts.PurgedByStore;
        var scale = (await Ports.Tenants.FindAsync(job.TenantId, cancellationToken))?.TimeScale ?? 1;
        var facts = new BackupScrubFacts(
            job.TenantId, source.Id, original.Type, source.SubjectRef == Requests.RequestService.TenantWideSubject ? null : source.SubjectRef, original, job.Id,
            job.CreatedAt, scrubbedAt, windowEnd, Now, job.Deadline ?? windowEnd, CheckTolerance(scale),
            job.Counts.Total, job.Counts.Purged, byStore.GetValueOrDefault(BackupScrubWorkflow.DataVersions), byStore.GetValueOrDefault(BackupScrubWorkflow.ReplicaVersions),
            Ports.Objects.HasReplica, report.Tables.Count, report.LongestRecoveryDays, head, Ports.Signer.KeyId);
        var payload = BackupScrubCertificate.Payload(facts);
        var signature = await Ports.Signer.SignAsync(payload, cancellationToken);
        var certificate = new SignedCertificate(BackupScrubCertificate.IdFor(source.Id), source.Id, job.TenantId, BackupScrubCertificate.Type, payload, signature, Ports.Signer.KeyId);
        return await Ports.Certificates.PutOnceAsync(certificate, cancellationToken);
    }
}
