using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Retention.Steps;

/// <summary>
/// SelectPage: the next page of due items, written as the page's manifest before anything moves, so PurgePage (and any replay
/// of it) decides about exactly these items, whatever the index shows after they moved. Selecting changes nothing else: a replay
/// reads the same page from the same cursor.
/// </summary>
public sealed class SelectPageStep(RetentionPorts ports) : RetentionStep(ports)
{
    public override async Task<RetentionSweepState> RunAsync(RetentionSweepState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        var (items, next) = await Ports.Due.DuePageAsync(
            job.TenantId, job.CreatedAt, state.Cursor, Math.Clamp(state.PageSize, 1, RetentionSweepWorkflow.PageSize), cancellationToken);
        if (items.Count == 0)
        {
            return state with { Selected = false, More = false, HandOver = false };
        }

        var page = state.Page + 1;
        await Ports.Manifests.WriteAsync(job.TenantId, job.Id, page, items, Now, cancellationToken);
        return state with { Selected = true, Page = page, Cursor = next, More = next is not null, HandOver = false };
    }
}
