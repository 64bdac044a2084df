using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Exports.Steps;

/// <summary>
/// Package: writes volume <c>state.Volume + 1</c>, a complete archive, straight into the store, and records it on the job. A
/// replay of a volume already recorded writes nothing and answers as the first run did.
/// </summary>
public sealed class PackageStep(ExportPorts ports) : ExportStep(ports)
{
    public override async Task<ExportState> RunAsync(ExportState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
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

        var tenant = await Ports.Tenants.FindAsync(job.TenantId, cancellationToken) ?? throw new JobNotActiveException($"Tenant {job.TenantId} is gone.");
        if (job.Type == JobType.AuditExport)
        {
            return await PackageAuditAsync(state, job, tenant, cancellationToken);
        }

        var format = ExportFormats.Parse(job.Format);
        var limits = ExportFormats.IsArchive(format) ? Ports.Limits : ExportLimits.Unlimited;
        var plan = await Ports.Inventory.PlanVolumeAsync(job.TenantId, job.SubjectRef, job.ExportCursor, limits, cancellationToken);
        var source = Ports.Inventory.Open(tenant, job.SubjectRef, plan, first: volume == 1);
        // In the inventory before its first byte: an erasure that starts from now on finds (and purges) this copy of the
        // person's data, and an erasure open already refuses it.
        await Ports.Volumes.RegisterAsync(job.TenantId, job.SubjectRef, job.Id, volume, format, Now, cancellationToken);
        ExportVolumeSummary summary;
        await using (var upload = await Ports.Store.BeginAsync(tenant, job.Id, volume, format, cancellationToken))
        {
            summary = await ExportPackager.WriteAsync(format, new ExportHeader(job.Id, job.SubjectRef, Now) { Volume = volume, First = volume == 1, Connectors = volume == 1 ? await FanOut.ConfirmationsAsync(job, cancellationToken) : [] }, source, upload.Content, Ports.Reports, cancellationToken);
            await upload.CompleteAsync(cancellationToken);
        }

        await EnsureNotErasedAsync(job, volume, format, cancellationToken);
        // A replay finds the volume recorded already (its object was simply written again under the same key).
        await Jobs.RecordVolumeAsync(job.TenantId, job.Id, new ExportVolumeRecord(volume, plan.Items, summary.ArchiveBytes, plan.LastPosition ?? job.ExportCursor, plan.More, Now), cancellationToken);
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
        var state = await Ports.Volumes.StateAsync(job.TenantId, job.Id, volume, cancellationToken);
        if (state is null or Records.ItemState.Active)
        {
            return;
        }

        if (state is Records.ItemState.Purging or Records.ItemState.Purged)
        {
            await Ports.Store.DiscardAsync(job.TenantId, job.Id, volume, format, cancellationToken);
        }

        throw new Errors.ErasureInProgressException(null);
    }

    /// <summary>An audit export: the tenant's chain for the job's range, in one volume (a ZIP of audit.csv or audit.json and a manifest).</summary>
    private async Task<ExportState> PackageAuditAsync(ExportState state, Job job, Tenant tenant, CancellationToken cancellationToken)
    {
        ExportVolumeSummary summary;
        await using (var upload = await Ports.Store.BeginAsync(tenant, job.Id, 1, ExportFormat.Zip, cancellationToken))
        {
            summary = await ExportPackager.WriteAuditArchiveAsync(
                new ExportHeader(job.Id, job.SubjectRef, Now), InRange(Ports.Chain.ReadChainAsync(job.TenantId, 1, cancellationToken), job), job.Format == "json", upload.Content, cancellationToken);
            await upload.CompleteAsync(cancellationToken);
        }

        await Jobs.RecordVolumeAsync(job.TenantId, job.Id, new ExportVolumeRecord(1, summary.AuditEvents, summary.ArchiveBytes, null, false, Now), cancellationToken);
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
}
