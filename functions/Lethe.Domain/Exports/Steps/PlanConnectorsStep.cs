using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Exports.Steps;

/// <summary>
/// PlanConnectors, first: names the tenant's connectors that serve exports and have not confirmed this job yet (a retry calls
/// only those), with the scaled answer window. With any to call, the job waits in phase <c>connectors</c> before it collects;
/// an audit export calls none.
/// </summary>
public sealed class PlanConnectorsStep(ExportPorts ports) : ExportStep(ports)
{
    public override async Task<ExportState> RunAsync(ExportState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var plan = job.Type == JobType.Export && job.Phase is JobPhases.Collect or JobPhases.Connectors
            ? await FanOut.PlanAsync(job, cancellationToken)
            : Connectors.ConnectorPlan.None;
        var (pending, timeout) = (plan.Pending, plan.TimeoutSeconds);
        if (pending.Count == 0)
        {
            return state with { Connectors = [], ConnectorResults = null };
        }

        job = await MoveAsync(job, JobTransitions.Start(JobPhases.Collect, JobPhases.Connectors, Now), cancellationToken);
        await AuditOnceAsync(job, $"connectors:{job.Execution}", "export.connectors.called", AuditActions.Success,
            new JsonObject { ["connectors"] = new JsonArray([.. pending.Select(n => JsonValue.Create(n))]), ["answerWithinSeconds"] = timeout }, cancellationToken);
        return state with { Connectors = pending, ConnectorTimeoutSeconds = timeout, ConnectorResults = null };
    }
}
