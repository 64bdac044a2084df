using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.KeyRotation.Steps;

/// <summary>
/// RewrapPage: the next page of the tenant's wrapped keys; each not yet under the target is rewrapped with KMS ReEncrypt (its
/// plaintext never leaves KMS) and stored with the key it is now wrapped under, conditional on being unchanged since read.
/// Reads keep working throughout: each wrapped key is unwrapped with the key it records.
/// </summary>
public sealed class RewrapPageStep(KeyRotationPorts ports) : KeyRotationStep(ports)
{
    public override async Task<KeyRotationState> RunAsync(KeyRotationState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var page = await Ports.Keys.RewrapPageAsync(job.TenantId, job.TargetKeyArn!, state.Cursor, Math.Clamp(state.PageSize, 1, KeyRotationWorkflow.PageSize), cancellationToken);
        var number = state.Page + 1;
        await AuditOnceAsync(job, $"page:{state.Execution}:{state.Passes}:{number}", "key-rotation.page", AuditActions.Success, new JsonObject
        {
            ["page"] = number,
            ["pass"] = state.Passes,
            ["examined"] = page.Examined,
            ["rewrapped"] = page.Rewrapped,
        }, cancellationToken);
        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Cursor = page.NextCursor,
            Page = number,
            More = page.NextCursor is not null,
            PagesInExecution = inExecution,
            HandOver = page.NextCursor is not null && inExecution >= state.PagesPerExecution,
        };
    }
}
