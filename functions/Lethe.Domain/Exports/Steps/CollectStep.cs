using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Exports.Steps;

/// <summary>Collect: the job is open; counts the subject's items (none for an audit export) and moves the job to its packaging.</summary>
public sealed class CollectStep(ExportPorts ports) : ExportStep(ports)
{
    public override async Task<ExportState> RunAsync(ExportState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Phase != JobPhases.Package)
        {
            var total = job.Type == JobType.AuditExport ? 0 : await Ports.Inventory.CountAsync(job.TenantId, job.SubjectRef, cancellationToken);
            await MoveAsync(job, JobTransitions.Start(JobPhases.Collect, JobPhases.Package, Now, total), cancellationToken);
            await AuditOnceAsync(job, "collect", "export.start", AuditActions.Success, new JsonObject { ["items"] = total, ["format"] = job.Format }, cancellationToken);
        }

        return state with { More = true, Volume = job.ExportParts };
    }
}
