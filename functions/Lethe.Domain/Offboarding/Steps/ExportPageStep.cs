using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Offboarding.Steps;

/// <summary>
/// ExportPage, for an offboarding with <c>finalExport</c>: first collects the tenant's subjects from its inventory, a page per
/// step, then packages them one volume per step: each subject's data as the subject export of API.md would (records, files,
/// consents, the subject's audit events, in one or more complete ZIP volumes), into the exports bucket under the tenant key.
/// Each volume is recorded on the job once, with the cursor after it, so a replay writes nothing twice. When the last subject
/// is packaged, the job waits in <c>download-window</c> for the export link's lifetime (tenant time), downloadable by a
/// platform admin, then purges.
/// </summary>
public sealed class ExportPageStep(TenantOffboardingPorts ports) : OffboardingStep(ports)
{
    public override async Task<TenantOffboardingState> RunAsync(TenantOffboardingState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Phase == JobPhases.DownloadWindow)
        {
            // A replay of the last page, after it opened the window: it answers as the first run did.
            return state with { More = false, HandOver = false, Cursor = null, Page = 0, WaitUntil = Timestamps.Format(job.DownloadExpiresAt ?? Now) };
        }

        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Drain, JobPhases.Package, Now), cancellationToken);
        var tenant = await TenantAsync(job, cancellationToken);
        // The cursor saved with the last volume is the truth once one is recorded (a replay's input may be older); before
        // that, the collection's cursor travels in the state.
        var cursor = job.ExportParts > 0 ? TenantExportCursor.Decode(job.ExportCursor) : TenantExportCursor.Decode(state.Cursor);
        if (cursor.Collecting)
        {
            var next = await Ports.Subjects.CollectPageAsync(job.TenantId, job.Id, cursor.InventoryCursor, state.PageSize, cancellationToken);
            if (next is not null)
            {
                return Continue(state, cursor with { InventoryCursor = next });
            }

            var first = await Ports.Subjects.NextAsync(job.TenantId, job.Id, null, cancellationToken);
            if (first is null)
            {
                return await FinishAsync(state, job, tenant, cancellationToken);
            }

            cursor = new TenantExportCursor(false, null, first, null);
        }

        if (cursor.SubjectRef is not { } subjectRef)
        {
            return await FinishAsync(state, job, tenant, cancellationToken);
        }

        var volume = job.ExportParts + 1;
        var plan = await Ports.ExportInventory.PlanVolumeAsync(job.TenantId, subjectRef, cursor.SubjectPosition, Ports.Limits, cancellationToken);
        var source = Ports.ExportInventory.Open(tenant, subjectRef, plan, first: cursor.SubjectPosition is null);
        ExportVolumeSummary summary;
        await using (var upload = await Ports.ExportStore.BeginAsync(tenant, job.Id, volume, ExportFormat.Zip, cancellationToken))
        {
            var header = new ExportHeader(job.Id, subjectRef, Now) { Volume = volume, First = cursor.SubjectPosition is null };
            summary = await ExportPackager.WriteAsync(ExportFormat.Zip, header, source, upload.Content, Ports.Reports, cancellationToken);
            await upload.CompleteAsync(cancellationToken);
        }

        TenantExportCursor? after = plan.More
            ? cursor with { SubjectPosition = plan.LastPosition }
            : await Ports.Subjects.NextAsync(job.TenantId, job.Id, subjectRef, cancellationToken) is { } following
                ? new TenantExportCursor(false, null, following, null)
                : null;
        // The export's end is written as a cursor with no subject: a replay finds it and finishes.
        var saved = after ?? new TenantExportCursor(false, null, null, null);
        await Jobs.RecordVolumeAsync(job.TenantId, job.Id, new ExportVolumeRecord(volume, plan.Items, summary.ArchiveBytes, saved.Encode(), after is not null, Now), cancellationToken);
        await AuditOnceAsync(job, $"volume:{volume}", "tenant-offboarding.export-volume", AuditActions.Success, new JsonObject
        {
            ["volume"] = volume,
            // "subjectRef" of a workflow event names the job's (tenant-wide) subject: the volume's is its own field.
            ["volumeSubjectRef"] = subjectRef,
            ["records"] = summary.Records,
            ["files"] = summary.Files,
            ["bytes"] = summary.ArchiveBytes,
        }, cancellationToken);
        return after is null ? await FinishAsync(state, job, tenant, cancellationToken) : Continue(state, after);
    }

    private static TenantOffboardingState Continue(TenantOffboardingState state, TenantExportCursor next)
    {
        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Cursor = next.Encode(),
            Page = state.Page + 1,
            More = true,
            PagesInExecution = inExecution,
            HandOver = inExecution >= state.PagesPerExecution,
        };
    }

    /// <summary>
    /// The export is complete: it stays downloadable for its window (none when there was nothing to export), then the purge
    /// begins. The window counts from the first volume (the exports bucket expires each object 7 days after it is written, so
    /// no volume is promised longer than it is kept), and is never over before it opens.
    /// </summary>
    private async Task<TenantOffboardingState> FinishAsync(TenantOffboardingState state, Job job, Tenant tenant, CancellationToken cancellationToken)
    {
        var current = await Jobs.FindAsync(job.TenantId, job.Id, cancellationToken) ?? job;
        var packagingStarted = current.PhaseStartedAt is { } started && started <= Now ? started : Now;
        var windowEnd = packagingStarted + Scaled(TenantOffboardingWorkflow.DownloadWindow, tenant);
        var until = current.ExportParts == 0 ? Now : windowEnd > Now ? windowEnd : Now;
        current = await MoveAsync(current, JobTransitions.OpenDownloadWindow(until, Now), cancellationToken);
        await AuditOnceAsync(current, "export", "tenant-offboarding.export", AuditActions.Success, new JsonObject
        {
            ["volumes"] = current.ExportParts,
            ["items"] = current.Exported,
            ["bytes"] = current.ExportBytes,
            ["downloadableUntil"] = AuditChain.FormatTime(current.DownloadExpiresAt ?? until),
        }, cancellationToken);
        return state with { More = false, HandOver = false, Cursor = null, Page = 0, WaitUntil = Timestamps.Format(current.DownloadExpiresAt ?? until) };
    }
}
