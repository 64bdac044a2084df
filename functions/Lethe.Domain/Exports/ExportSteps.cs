using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Policies;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Exports;

/// <summary>
/// The steps of workflows/export.asl.json: collect (count the subject's items), package one volume per invocation until none is
/// left, complete (the link's expiry). Every step may run twice: a volume is recorded on the job only as the next one of a
/// running job, its object is written under a fixed key, and audit events carry deterministic ids.
/// </summary>
public sealed class ExportSteps(ExportPorts ports)
{
    public static readonly AuditActor WorkflowActor = new("lethe-export-workflow", "system");

    private DateTimeOffset Now => ports.Clock.GetUtcNow();

    /// <summary>collect: the job is open; counts the subject's items and moves the job to package.</summary>
    public async Task<ExportState> CollectAsync(ExportState state, CancellationToken cancellationToken)
    {
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Phase != JobPhases.Package)
        {
            var total = job.Type == JobType.AuditExport ? 0 : await ports.Inventory.CountAsync(job.TenantId, job.SubjectRef, cancellationToken);
            var moved = await ports.Jobs.TryUpdateAsync(job.TenantId, job.Id, new JobUpdate([JobStatus.Queued, JobStatus.Running], Now)
            {
                WhenPhase = [JobPhases.Collect],
                Status = JobStatus.Running,
                Phase = JobPhases.Package,
                Total = total,
            }, cancellationToken);
            if (moved is null)
            {
                throw new JobNotActiveException($"Job {job.Id} is no longer open.");
            }

            await AuditOnceAsync(job, "collect", "export.start", AuditActions.Success, new JsonObject { ["items"] = total, ["format"] = job.Format }, cancellationToken);
        }

        return state with { More = true, Volume = job.ExportParts };
    }

    /// <summary>
    /// package: writes volume <c>state.Volume + 1</c>, a complete archive, straight into the store, and records it on the job.
    /// A replay of a volume already recorded writes nothing and answers as the first run did.
    /// </summary>
    public async Task<ExportState> PackageAsync(ExportState state, CancellationToken cancellationToken)
    {
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Phase != JobPhases.Package)
        {
            throw new JobNotActiveException($"Job {job.Id} is not packaging (phase {job.Phase}).");
        }

        var volume = state.Volume + 1;
        if (job.ExportParts >= volume)
        {
            return state with { Volume = volume, More = volume < job.ExportParts || job.ExportMore };
        }

        var tenant = await ports.Tenants.FindAsync(job.TenantId, cancellationToken) ?? throw new JobNotActiveException($"Tenant {job.TenantId} is gone.");
        if (job.Type == JobType.AuditExport)
        {
            return await PackageAuditAsync(state, job, tenant, cancellationToken);
        }

        var format = ExportFormats.Parse(job.Format);
        var limits = format == ExportFormat.Json ? ExportLimits.Unlimited : ports.Limits;
        var plan = await ports.Inventory.PlanVolumeAsync(job.TenantId, job.SubjectRef, job.ExportCursor, limits, cancellationToken);
        var source = ports.Inventory.Open(tenant, job.SubjectRef, plan, first: volume == 1);
        // In the inventory before its first byte: an erasure that starts from now on finds (and purges) this copy of the
        // person's data, and an erasure open already refuses it.
        await ports.Volumes.RegisterAsync(job.TenantId, job.SubjectRef, job.Id, volume, format, Now, cancellationToken);
        ExportVolumeSummary summary;
        await using (var upload = await ports.Store.BeginAsync(tenant, job.Id, volume, format, cancellationToken))
        {
            summary = await ExportPackager.WriteAsync(format, new ExportHeader(job.Id, job.SubjectRef, Now), source, upload.Content, cancellationToken);
            await upload.CompleteAsync(cancellationToken);
        }

        await EnsureNotErasedAsync(job, volume, format, cancellationToken);
        // A replay finds the volume recorded already (its object was simply written again under the same key).
        await ports.Jobs.RecordVolumeAsync(job.TenantId, job.Id, new ExportVolumeRecord(volume, plan.Items, summary.ArchiveBytes, plan.LastPosition ?? job.ExportCursor, plan.More, Now), cancellationToken);
        await AuditOnceAsync(job, $"volume:{volume}", "export.volume", AuditActions.Success, new JsonObject
        {
            ["volume"] = volume,
            ["records"] = summary.Records,
            ["files"] = summary.Files,
            ["bytes"] = summary.ArchiveBytes,
        }, cancellationToken);
        return state with { More = plan.More, Volume = volume };
    }

    /// <summary>
    /// An erasure that began while this volume was written hid its item: the export fails. If the purge already ran (and so could
    /// not see the object this step completed afterwards), the step deletes the object itself, so no copy outlives the erasure.
    /// </summary>
    private async Task EnsureNotErasedAsync(Job job, int volume, ExportFormat format, CancellationToken cancellationToken)
    {
        var state = await ports.Volumes.StateAsync(job.TenantId, job.Id, volume, cancellationToken);
        if (state is null or Records.ItemState.Active)
        {
            return;
        }

        if (state is Records.ItemState.Purging or Records.ItemState.Purged)
        {
            await ports.Store.DiscardAsync(job.TenantId, job.Id, volume, format, cancellationToken);
        }

        throw new Errors.ErasureInProgressException(null);
    }

    /// <summary>How a job's volumes are stored: an audit export is always a ZIP (its one file inside is CSV or JSON).</summary>
    public static ExportFormat StoredFormat(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Type == JobType.AuditExport ? ExportFormat.Zip : ExportFormats.Parse(job.Format);
    }

    /// <summary>An audit export: the tenant's chain for the job's range, in one volume (a ZIP of audit.csv or audit.json and a manifest).</summary>
    private async Task<ExportState> PackageAuditAsync(ExportState state, Job job, Tenant tenant, CancellationToken cancellationToken)
    {
        ExportVolumeSummary summary;
        await using (var upload = await ports.Store.BeginAsync(tenant, job.Id, 1, ExportFormat.Zip, cancellationToken))
        {
            summary = await ExportPackager.WriteAuditArchiveAsync(
                new ExportHeader(job.Id, job.SubjectRef, Now), InRange(ports.Chain.ReadChainAsync(job.TenantId, 1, cancellationToken), job), job.Format == "json", upload.Content, cancellationToken);
            await upload.CompleteAsync(cancellationToken);
        }

        await ports.Jobs.RecordVolumeAsync(job.TenantId, job.Id, new ExportVolumeRecord(1, summary.AuditEvents, summary.ArchiveBytes, null, false, Now), cancellationToken);
        await AuditOnceAsync(job, "volume:1", "export.volume", AuditActions.Success, new JsonObject { ["volume"] = 1, ["auditEvents"] = summary.AuditEvents, ["bytes"] = summary.ArchiveBytes }, cancellationToken);
        return state with { More = false, Volume = 1 };

        static async IAsyncEnumerable<ChainedAuditEvent> InRange(IAsyncEnumerable<ChainedAuditEvent> chain, Job job)
        {
            await foreach (var chained in chain)
            {
                if ((job.RangeFrom is not { } from || chained.Event.At >= from) && (job.RangeTo is not { } to || chained.Event.At < to))
                {
                    yield return chained;
                }
            }
        }
    }

    /// <summary>complete: the export is ready; its link expires 7 days from now (scaled by the tenant's time scale).</summary>
    public async Task<ExportState> CompleteAsync(ExportState state, CancellationToken cancellationToken)
    {
        var job = await ports.Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken) ?? throw new JobNotActiveException($"Job {state.JobId} does not exist.");
        if (job.Status != JobStatus.Completed)
        {
            var tenant = await ports.Tenants.FindAsync(job.TenantId, cancellationToken);
            var done = await ports.Jobs.TryUpdateAsync(job.TenantId, job.Id, new JobUpdate([JobStatus.Running], Now)
            {
                WhenPhase = [JobPhases.Package],
                Status = JobStatus.Completed,
                Phase = JobPhases.Done,
                CompletedAt = Now,
                DownloadExpiresAt = LifecyclePolicy.Deadline(Now, LifecyclePolicy.ExportLinkLifetime, tenant?.TimeScale ?? 1),
            }, cancellationToken);
            job = done ?? throw new JobNotActiveException($"Job {job.Id} could not complete: it is no longer packaging.");
        }

        await AuditOnceAsync(job, "complete", "export.complete", AuditActions.Success, new JsonObject
        {
            ["parts"] = job.ExportParts,
            ["items"] = job.Exported,
            ["bytes"] = job.ExportBytes,
            ["expiresAt"] = job.DownloadExpiresAt is { } expires ? AuditChain.FormatTime(expires) : null,
        }, cancellationToken);
        return state with { More = false, Volume = job.ExportParts };
    }

    /// <summary>The Catch of every Task: the job ends failed with the error, and the audit says why.</summary>
    public async Task RecordFailureAsync(string tenantId, string jobId, int execution, string error, string cause, CancellationToken cancellationToken)
    {
        var job = await ports.Jobs.FindAsync(tenantId, jobId, cancellationToken);
        if (job is null || !JobStatuses.IsOpen(job.Status) || job.Execution != execution)
        {
            return;
        }

        await ports.Jobs.TryUpdateAsync(tenantId, jobId, new JobUpdate([JobStatus.Queued, JobStatus.Running], Now)
        {
            Status = JobStatus.Failed,
            Error = new JobError("-", $"{error}: {(cause.Length <= 500 ? cause : cause[..500])}", Now),
        }, cancellationToken);
        await AuditOnceAsync(job, $"failed:{execution}", "export.fail", AuditActions.Failure, new JsonObject { ["error"] = error, ["phase"] = job.Phase }, cancellationToken);
    }

    private async Task<Job> OpenJobAsync(ExportState state, CancellationToken cancellationToken)
    {
        var job = await ports.Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken);
        if (job is null || !JobStatuses.IsOpen(job.Status) || job.Execution != state.Execution || !JobTypes.IsExport(job.Type))
        {
            throw new JobNotActiveException($"Job {state.JobId} is not an open export of execution {state.Execution}.");
        }

        return job;
    }

    private Task AuditOnceAsync(Job job, string step, string action, string outcome, JsonObject details, CancellationToken cancellationToken) =>
        ports.Audit.AppendAsync(WorkflowAudit.Event(job, WorkflowActor, step, action, outcome, details, Now), cancellationToken);
}
