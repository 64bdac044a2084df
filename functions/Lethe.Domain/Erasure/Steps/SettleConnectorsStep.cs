using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Connectors;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// SettleConnectors, after the Map: every connector called must have answered <c>done</c> (read from the calls, not from the
/// Map's output). Otherwise the job fails listing each one and why (no answer in the window, unreachable, answered failed);
/// <c>retry</c> calls those again. A legal hold placed meanwhile pauses the erasure instead. When all confirmed, the job moves
/// on to its purge.
/// </summary>
public sealed class SettleConnectorsStep(ErasurePorts ports, ConnectorFanOut fanOut) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var called = state.Connectors ?? [];
        if (called.Count == 0)
        {
            return state with { ConnectorResults = null };
        }

        if (await Ports.Holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            return (await PauseForHoldAsync(job, state, cancellationToken)) with { Connectors = [], ConnectorResults = null };
        }

        var (problems, confirmed) = await fanOut.SettleAsync(job, called, state.ConnectorResults, cancellationToken);
        if (problems.Count > 0)
        {
            await AuditOnceAsync(job, $"connectors-unconfirmed:{job.Execution}", "erasure.connectors.unconfirmed", AuditActions.Failure,
                new JsonObject { ["connectors"] = problems.Count }, cancellationToken);
            throw ConnectorFanOut.Unconfirmed(problems, "The erasure stopped before its purge;");
        }

        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Connectors, JobPhases.Purge, Now), cancellationToken);
        await AuditOnceAsync(job, $"connectors-confirmed:{job.Execution}", "erasure.connectors.confirmed", AuditActions.Success,
            new JsonObject { ["connectors"] = confirmed }, cancellationToken);
        return state with { Connectors = [], ConnectorResults = null };
    }
}
