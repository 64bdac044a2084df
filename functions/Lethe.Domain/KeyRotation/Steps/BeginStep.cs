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
        var target = job.TargetKeyArn ?? throw new KeyChangedException($"Key rotation {job.Id} names no target key.");
        if (job.Status == JobStatus.Running && job.Phase is JobPhases.Switch)
        {
            return state with { WaitUntil = Timestamps.Format(Now), More = false, HandOver = false };
        }

        if (job.Status == JobStatus.Running && job.Phase is JobPhases.Rewrap)
        {
            // A restart, a hand-over, or a replay of this step after the move: the tenant must name the target (a replay whose
            // first run died between the move and the save sets it now, and waits for the writers as the first run would have).
            var named = await NameTargetAsync(job, target, cancellationToken);
            return state with { WaitUntil = Timestamps.Format(named ? Now + Ports.WriterCacheAge : Now), More = true, HandOver = false };
        }

        var tenant = await Ports.Tenants.FindAsync(job.TenantId, cancellationToken) ?? throw new Jobs.Workflow.JobNotActiveException($"Tenant {job.TenantId} does not exist.");
        if (tenant.KeyArn != job.PreviousKeyArn)
        {
            throw new KeyChangedException($"The key of tenant {job.TenantId} is no longer the one this rotation started from: nothing was changed.");
        }

        // A revoked key (a BYOK tenant disabled its key) stops the rotation before anything moves: writes must not resume under
        // another key behind the tenant's back, and nothing could be rewrapped from it anyway.
        await Ports.Keys.EnsureUsableAsync(job.TenantId, tenant.KeyArn, cancellationToken);
        job = await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.Rewrap, Now), cancellationToken);
        await NameTargetAsync(job, target, cancellationToken);
        await AuditOnceAsync(job, "begin", "key-rotation.begin", AuditActions.Success, new JsonObject
        {
            ["fromKey"] = job.PreviousKeyArn,
            ["toKey"] = target,
            ["byok"] = job.TargetKeyByok,
        }, cancellationToken);
        return state with { WaitUntil = Timestamps.Format(Now + Ports.WriterCacheAge), Cursor = null, Page = 0, PagesInExecution = 0, More = true, HandOver = false };
    }

    /// <summary>The tenant seals under the target from now on; true when this call had to set it.</summary>
    private async Task<bool> NameTargetAsync(Job job, string target, CancellationToken cancellationToken)
    {
        var named = false;
        await ChangeTenantAsync(job, t =>
        {
            if (t.NextKeyArn == target || t.KeyArn == target)
            {
                return null;
            }

            named = true;
            return t with { NextKeyArn = target, NextKeyByok = job.TargetKeyByok };
        }, cancellationToken);
        return named;
    }
}
