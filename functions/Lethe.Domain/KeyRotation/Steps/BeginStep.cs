using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.KeyRotation.Steps;

/// <summary>
/// Begin: the job moves to <c>rewrap</c> (no cancel after this), then the tenant names the target as the key new data is sealed
/// under (<c>nextKeyArn</c>), so no KEK is born under the old key from now on; the Wait lets every writer's cached tenant catch
/// up before the rewrap loop starts. A restart in <c>rewrap</c> passes straight through with its cursor.
/// </summary>
public sealed class BeginStep(KeyRotationPorts ports) : KeyRotationStep(ports)
{
    public override async Task<KeyRotationState> RunAsync(KeyRotationState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Status == JobStatus.Running && job.Phase is JobPhases.Rewrap or JobPhases.Switch)
        {
            return state with { WaitUntil = Timestamps.Format(Now), More = true, HandOver = false };
        }

        var target = job.TargetKeyArn ?? throw new KeyChangedException($"Key rotation {job.Id} names no target key.");
        var tenant = await Ports.Tenants.FindAsync(job.TenantId, cancellationToken) ?? throw new Jobs.Workflow.JobNotActiveException($"Tenant {job.TenantId} does not exist.");
        if (tenant.KeyArn != job.PreviousKeyArn)
        {
            throw new KeyChangedException($"The key of tenant {job.TenantId} is no longer the one this rotation started from: nothing was changed.");
        }

        job = await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.Rewrap, Now), cancellationToken);
        await ChangeTenantAsync(job, t => t.NextKeyArn == target ? null : t with { NextKeyArn = target, NextKeyByok = job.TargetKeyByok }, cancellationToken);
        await AuditOnceAsync(job, "begin", "key-rotation.begin", AuditActions.Success, new JsonObject
        {
            ["fromKey"] = job.PreviousKeyArn,
            ["toKey"] = target,
            ["byok"] = job.TargetKeyByok,
        }, cancellationToken);
        return state with { WaitUntil = Timestamps.Format(Now + Ports.WriterCacheAge), Cursor = null, Page = 0, PagesInExecution = 0, More = true, HandOver = false };
    }
}
