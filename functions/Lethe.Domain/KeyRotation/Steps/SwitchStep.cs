using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.KeyRotation.Steps;

/// <summary>
/// Switch: one full pass counts the tenant's wrapped keys by the KMS key they are under. Any still under another key (a KEK
/// replaced meanwhile under its old one) sends the loop round once more, at most <see cref="KeyRotationWorkflow.MaxPasses"/>
/// times; when all are under the target, the tenant's key becomes the target in one conditional save, and the job moves to
/// <c>switch</c>.
/// </summary>
public sealed class SwitchStep(KeyRotationPorts ports) : KeyRotationStep(ports)
{
    public override async Task<KeyRotationState> RunAsync(KeyRotationState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var target = job.TargetKeyArn!;
        if (job.Phase != JobPhases.Switch)
        {
            var wrapped = await Ports.Keys.WrappedKeysAsync(job.TenantId, cancellationToken);
            var elsewhere = wrapped.Where(w => w.Key != target).Sum(w => w.Value);
            if (elsewhere > 0)
            {
                return state.Passes + 1 >= KeyRotationWorkflow.MaxPasses
                    ? throw new KeyRotationIncompleteException($"{elsewhere} wrapped key(s) of tenant {job.TenantId} are still under another key after {KeyRotationWorkflow.MaxPasses} passes: the tenant was not switched. Retry the rotation.")
                    : state with { Cursor = null, Page = 0, More = true, Passes = state.Passes + 1, Switched = false };
            }

            await ChangeTenantAsync(job, t => t.KeyArn == target && t.NextKeyArn is null
                ? null
                : t with { KeyArn = target, ByokKey = job.TargetKeyByok, NextKeyArn = null, NextKeyByok = false }, cancellationToken);
            job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Rewrap, JobPhases.Switch, Now), cancellationToken);
            await AuditOnceAsync(job, "switch", "key-rotation.switch", AuditActions.Success, new JsonObject
            {
                ["toKey"] = target,
                ["wrappedKeys"] = wrapped.GetValueOrDefault(target),
                ["passes"] = state.Passes + 1,
            }, cancellationToken);
        }

        return state with { More = false, HandOver = false, Switched = true, RetireAt = Timestamps.Format((job.PhaseStartedAt ?? Now) + Ports.RetireDelay) };
    }
}
