using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.KeyRotation.Steps;

/// <summary>
/// Retire, well after the switch (every writer that read the tenant before the rotation has finished): the key the tenant
/// left. A platform key that no wrapped key and no stored object may need any more (every object version sealed under the
/// target) is scheduled for deletion (the longest waiting period KMS allows; unusable from now on); otherwise it stays enabled
/// and the audit says why, and the tenant lists it among its retained keys; a BYOK key is the tenant's own to retire; a
/// platform key left for a key in another account stays (retained too).
/// Then the job completes and the tenant's rotation lock ends in the same write.
/// </summary>
public sealed class RetireStep(KeyRotationPorts ports) : KeyRotationStep(ports)
{
    public override async Task<KeyRotationState> RunAsync(KeyRotationState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        await CompleteOnceAsync(state, JobPhases.Switch, async job =>
        {
            var outcome = await RetireAsync(job, cancellationToken);
            if (outcome.StartsWith("kept", StringComparison.Ordinal) && job.PreviousKeyArn is { } kept)
            {
                // Still the tenant's: offboarding (and a later look) finds it on the tenant, not only in the audit.
                await ChangeTenantAsync(job, t => t.RetainedKeyArns.Contains(kept, StringComparer.Ordinal) ? null : t with { RetainedKeyArns = [.. t.RetainedKeyArns, kept] }, cancellationToken);
            }

            // Written before the completion (a deterministic id): a replay that finds the job completed has it already.
            await AuditOnceAsync(job, "retire", "key-rotation.complete", AuditActions.Success, new JsonObject
            {
                ["previousKey"] = job.PreviousKeyArn,
                ["previousKeyOutcome"] = outcome,
            }, cancellationToken);
        }, cancellationToken);
        return state;
    }

    private async Task<string> RetireAsync(Job job, CancellationToken cancellationToken)
    {
        if (job.PreviousKeyArn is not { } previous || previous == job.TargetKeyArn)
        {
            return "none";
        }

        if (job.PreviousKeyByok)
        {
            return "tenant-owned: the tenant may disable it once it needs it for nothing else";
        }

        if (job.TargetKeyByok && IsOtherAccount(job.TargetKeyArn!, previous))
        {
            // The tenant's data now hangs on a key in an account Lethe does not control: the platform key stays, so a key the
            // tenant (or whoever holds its admin token) deletes can never take everything with it.
            return "kept: the new key is in another account; a platform admin retires the platform key";
        }

        var tenant = await Ports.Tenants.FindAsync(job.TenantId, cancellationToken);
        if (tenant?.KeyArn != job.TargetKeyArn || tenant?.NextKeyArn is not null)
        {
            return "kept: the tenant's key changed after the switch";
        }

        if (await KeysElsewhereAsync(job, cancellationToken) is > 0 and var before)
        {
            return $"kept: {before} wrapped key(s) are under another key";
        }

        if (await Ports.Retirement.AnyObjectNotUnderAsync(job.TenantId, job.TargetKeyArn!, cancellationToken))
        {
            return "kept: stored objects are sealed under it";
        }

        // Looked at again right before: a KEK born under it while the objects were read keeps it.
        if (await KeysElsewhereAsync(job, cancellationToken) is > 0 and var after)
        {
            return $"kept: {after} wrapped key(s) are under another key";
        }

        await Ports.Retirement.ScheduleDeletionAsync(previous, cancellationToken);
        return "deletion-scheduled";
    }

    /// <summary>Wrapped keys under anything but the target (an unrecorded key counts: it may be the old one).</summary>
    private async Task<long> KeysElsewhereAsync(Job job, CancellationToken cancellationToken) =>
        (await Ports.Keys.WrappedKeysAsync(job.TenantId, cancellationToken)).Where(w => w.Key != job.TargetKeyArn).Sum(w => w.Value);

    private static bool IsOtherAccount(string keyArn, string ownKeyArn) =>
        keyArn.Split(':') is { Length: > 4 } a && ownKeyArn.Split(':') is { Length: > 4 } b && a[4] != b[4];
}
