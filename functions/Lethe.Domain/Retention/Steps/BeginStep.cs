using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Retention.Steps;

/// <summary>
/// Begin: the job is open and its tenant exists; the sweep starts, due as of the moment it was requested. Every execution starts
/// here: a hand-over or a restart (its job already in <c>sweep</c>) passes straight through with its cursor, as the move to
/// <c>sweep</c> is done already.
/// </summary>
public sealed class BeginStep(RetentionPorts ports) : RetentionStep(ports)
{
    public override async Task<RetentionSweepState> RunAsync(RetentionSweepState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (await Ports.Tenants.FindAsync(job.TenantId, cancellationToken) is null)
        {
            throw new JobNotActiveException($"Tenant {job.TenantId} of job {job.Id} does not exist.");
        }

        await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.Sweep, Now), cancellationToken);
        await AuditOnceAsync(job, "begin", "retention.start", AuditActions.Success, new JsonObject { ["asOf"] = AuditChain.FormatTime(job.CreatedAt) }, cancellationToken);
        return state with { More = true, Selected = false, HandOver = false };
    }
}
