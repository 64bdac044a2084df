using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Connectors;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// PlanConnectors, before the first purge page: names the tenant's connectors that serve deletions and have not confirmed this
/// job yet (a retry or resume calls only those), with the scaled answer window. With any to call, the job waits in phase
/// <c>connectors</c>; the purge itself, which ends the last trace of the subject's id, waits for their confirmations. A subject
/// under a legal hold is called nowhere: the erasure pauses (phase <c>held</c>) and calls them when the hold is released.
/// </summary>
public sealed class PlanConnectorsStep(ErasurePorts ports, ConnectorFanOut fanOut) : ErasureStep(ports)
{
    public override async Task<ErasureState> RunAsync(ErasureState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        // A hand-over in the middle of the purge continues it: the fan-out was settled before its first page.
        var plan = state.Cursor is null ? await fanOut.PlanAsync(job, cancellationToken) : ConnectorPlan.None;
        if (plan.Unnameable.Count > 0)
        {
            // The subject's id is purged already (a retry after the purge, a connector added since): nobody can be told whom to
            // erase, so these are not called, and the certificate lists only the confirmations it has.
            await AuditOnceAsync(job, $"connectors-unnameable:{job.Execution}", "erasure.connectors.skipped", AuditActions.Success,
                new JsonObject { ["connectors"] = Names(plan.Unnameable), ["reason"] = "the subject's id was purged already" }, cancellationToken);
        }

        if (plan.Pending.Count == 0)
        {
            return state with { Connectors = [], ConnectorResults = null };
        }

        if (await Ports.Holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            return (await PauseForHoldAsync(job, state, cancellationToken)) with { Connectors = [], ConnectorResults = null };
        }

        job = await MoveAsync(job, JobTransitions.AdvanceFromAny([JobPhases.Purge, JobPhases.Connectors], JobPhases.Connectors, Now), cancellationToken);
        await AuditOnceAsync(job, $"connectors:{job.Execution}", "erasure.connectors.called", AuditActions.Success,
            new JsonObject { ["connectors"] = Names(plan.Pending), ["answerWithinSeconds"] = plan.TimeoutSeconds }, cancellationToken);
        return state with { Connectors = plan.Pending, ConnectorTimeoutSeconds = plan.TimeoutSeconds, ConnectorResults = null };
    }

    private static JsonArray Names(IReadOnlyList<string> names) => new([.. names.Select(n => JsonValue.Create(n))]);
}
