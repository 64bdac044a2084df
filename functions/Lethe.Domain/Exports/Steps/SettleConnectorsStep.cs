using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Connectors;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Exports.Steps;

/// <summary>
/// SettleConnectors, after the Map: every connector called must have answered <c>done</c>; otherwise the export fails listing
/// each one and why (nothing was collected yet) and <c>retry</c> calls those again. When all confirmed, the job collects.
/// </summary>
public sealed class SettleConnectorsStep(ExportPorts ports) : ExportStep(ports)
{
    public override async Task<ExportState> RunAsync(ExportState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var called = state.Connectors ?? [];
        if (called.Count == 0)
        {
            return state with { ConnectorResults = null };
        }

        var (problems, confirmed) = await FanOut.SettleAsync(job, called, state.ConnectorResults, cancellationToken);
        if (problems.Count > 0)
        {
            await AuditOnceAsync(job, $"connectors-unconfirmed:{job.Execution}", "export.connectors.unconfirmed", AuditActions.Failure,
                new JsonObject { ["connectors"] = problems.Count }, cancellationToken);
            throw ConnectorFanOut.Unconfirmed(problems, "Nothing was exported yet;");
        }

        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Connectors, JobPhases.Collect, Now), cancellationToken);
        await AuditOnceAsync(job, $"connectors-confirmed:{job.Execution}", "export.connectors.confirmed", AuditActions.Success,
            new JsonObject { ["connectors"] = confirmed }, cancellationToken);
        return state with { Connectors = [], ConnectorResults = null };
    }
}
