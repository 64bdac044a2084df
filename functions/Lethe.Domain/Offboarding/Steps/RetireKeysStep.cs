using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Offboarding.Steps;

/// <summary>
/// RetireKeys, once the tenant is proved empty: every platform key of the tenant (its key, a rotation's unfinished target, and
/// each key a rotation retained for stored objects) is scheduled for deletion with the longest waiting period KMS allows, and
/// is unusable from now on. A BYOK key is the tenant's own: it is not touched, and the certificate and the notice tell the
/// tenant to delete it.
/// </summary>
public sealed class RetireKeysStep(TenantOffboardingPorts ports) : OffboardingStep(ports)
{
    public override async Task<TenantOffboardingState> RunAsync(TenantOffboardingState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Purge, JobPhases.Shred, Now), cancellationToken);
        var tenant = await TenantAsync(job, cancellationToken);
        var keys = TenantKeyActions.PlatformKeysOf(tenant);
        foreach (var key in keys)
        {
            // A key pending deletion already (a replay) is done.
            await Ports.Keys.ScheduleDeletionAsync(key, cancellationToken);
        }

        var action = TenantKeyActions.Of(tenant);
        await Jobs.RecordPageAsync(job.TenantId, job.Id, JobPhases.Shred, 1,
            ErasureCounts.None with { PurgedByStore = new Dictionary<string, long>(StringComparer.Ordinal) { [TenantOffboardingWorkflow.TenantKeys] = keys.Count } },
            [], Now, cancellationToken);
        await AuditOnceAsync(job, "keys", "tenant-offboarding.keys", AuditActions.Success, new JsonObject
        {
            ["tenantKey"] = action,
            ["scheduledForDeletion"] = new JsonArray(keys.Select(k => (JsonNode)JsonValue.Create(k)!).ToArray()),
            ["byokKey"] = tenant.ByokKey ? tenant.KeyArn : null,
        }, cancellationToken);
        return state with { TenantKeyAction = action };
    }
}
