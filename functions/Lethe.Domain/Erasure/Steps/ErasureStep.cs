using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;

namespace Lethe.Domain.Erasure.Steps;

/// <summary>
/// What the deletion workflow's steps share on top of the kernel: their ports, the pause for a legal hold, the page loop's
/// advance, and one audit event per page with the affected ids only as a hashed manifest.
/// </summary>
public abstract class ErasureStep(ErasurePorts ports) : WorkflowStep<ErasureState>(ErasureWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    protected ErasurePorts Ports { get; } = ports;

    /// <summary>
    /// A legal hold stands for the subject: nothing more of it is deleted. The job waits in phase <c>held</c> (still running,
    /// its execution ends here); releasing the subject's last hold resumes it in a fresh execution (API.md, Requests).
    /// </summary>
    protected async Task<ErasureState> PauseForHoldAsync(Job job, ErasureState state, CancellationToken cancellationToken)
    {
        if (job.Phase != JobPhases.Held
            && await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.PauseForHold([JobPhases.RecoveryWindow, JobPhases.Purge, JobPhases.Connectors], Now), cancellationToken) is null)
        {
            throw new JobNotActiveException($"Job {job.Id} could not pause for a legal hold: it is no longer in its window or purge.");
        }

        await AuditOnceAsync(job, $"held:{job.Execution}", "erasure.held", AuditActions.Success, new JsonObject { ["phase"] = job.Phase }, cancellationToken);
        return state with { Held = true, More = false, HandOver = false };
    }

    /// <summary>The loop's next position: another page follows when there is a cursor, in this execution until its share is done.</summary>
    protected static ErasureState Advance(ErasureState state, string? next, long page)
    {
        ArgumentNullException.ThrowIfNull(state);
        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Cursor = next,
            Page = page,
            PagesInExecution = inExecution,
            More = next is not null,
            HandOver = next is not null && inExecution >= state.PagesPerExecution,
        };
    }

    /// <summary>One event per page: the affected ids only as a SHA-256 manifest, never one event per item.</summary>
    protected static JsonObject PageDetails(long page, IEnumerable<InventoryItem> items)
    {
        var ids = items.Select(i => i.ItemId).Order(StringComparer.Ordinal).ToList();
        return new JsonObject
        {
            ["page"] = page,
            ["items"] = ids.Count,
            ["manifestSha256"] = WorkflowAudit.ManifestSha256(ids),
        };
    }

    public static string Time(DateTimeOffset at) => AuditChain.FormatTime(at);
}
