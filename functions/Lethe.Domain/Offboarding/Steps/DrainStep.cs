using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Offboarding.Steps;

/// <summary>
/// Drain, once the tenant refuses changes: a legal hold of the tenant stops the offboarding before anything is deleted (the
/// tenant accepts writes again, so the holds can be released). Every other open job is cancelled where it may be, and backup
/// scrubs are superseded (the offboarding purges every version and starts its own scrub); the rest (an erasure's purge, a
/// rotation under way) is waited for, looking again every minute of tenant time, up to <see cref="TenantOffboardingWorkflow.MaxDrain"/>.
/// After cancelling, the drain waits <see cref="TenantOffboardingPorts.StragglerDelay"/> (a stopped execution's step may still
/// be running) before it looks again. The subject of every open erasure is kept out of the final export.
/// </summary>
public sealed class DrainStep(TenantOffboardingPorts ports) : OffboardingStep(ports)
{
    private const int ListPage = 100;

    public override async Task<TenantOffboardingState> RunAsync(TenantOffboardingState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Phase != JobPhases.Drain)
        {
            // A replay after the export or purge began: the drain is behind it.
            return state with { Drained = true };
        }

        var tenant = await TenantAsync(job, cancellationToken);
        if (await Ports.Holds.ListAsync(job.TenantId, cancellationToken) is { Count: > 0 } holds)
        {
            await ReactivateAsync(job, cancellationToken);
            throw new LegalHoldActiveException(
                $"{holds.Count} legal hold(s) of tenant {job.TenantId} stand ({string.Join(", ", holds.Take(5).Select(h => h.Id))}): nothing was deleted and the tenant accepts changes again. Release the holds, then offboard again.");
        }

        var (cancelled, waiting) = await CancelOthersAsync(job, cancellationToken);
        if (cancelled.Count > 0)
        {
            // A stopped execution's step may still be running: it lands before the tenant is called drained.
            await AuditOnceAsync(job, $"cancel:{cancelled[0]}", "tenant-offboarding.cancel", AuditActions.Success, new JsonObject
            {
                ["cancelled"] = new JsonArray(cancelled.Take(100).Select(id => (JsonNode)JsonValue.Create(id)!).ToArray()),
                ["cancelledCount"] = cancelled.Count,
            }, cancellationToken);
            return state with { Drained = false, WaitUntil = Timestamps.Format(Now + Ports.StragglerDelay) };
        }

        if (waiting.Count > 0)
        {
            if (Now - (job.PhaseStartedAt ?? job.UpdatedAt) > Scaled(TenantOffboardingWorkflow.MaxDrain, tenant))
            {
                await ReactivateAsync(job, cancellationToken);
                throw new JobsStillOpenException(
                    $"Jobs of tenant {job.TenantId} that cannot be cancelled are still open ({string.Join(", ", waiting.Take(10).Select(j => $"{j.Id} ({JobTypes.Name(j.Type)}, {j.Phase})"))}): nothing was deleted and the tenant accepts changes again. Offboard again once they have finished.");
            }

            return state with { Drained = false, WaitUntil = Timestamps.Format(Now + Scaled(TenantOffboardingWorkflow.DrainPoll, tenant)) };
        }

        await AuditOnceAsync(job, "drain", "tenant-offboarding.drain", AuditActions.Success, new JsonObject { ["drained"] = true }, cancellationToken);
        return state with { Drained = true, WaitUntil = Timestamps.Format(Now) };
    }

    /// <summary>Cancels what may be cancelled (and stops its execution); returns the ids cancelled and the jobs still to wait for.</summary>
    private async Task<(List<string> Cancelled, List<Job> Waiting)> CancelOthersAsync(Job offboarding, CancellationToken cancellationToken)
    {
        var cancelled = new List<string>();
        var waiting = new List<Job>();
        foreach (var status in new[] { JobStatus.AwaitingApproval, JobStatus.Queued, JobStatus.Running })
        {
            string? cursor = null;
            do
            {
                var (page, next) = await Jobs.ListAsync(offboarding.TenantId, new JobQuery(status, null, null, cursor, ListPage), cancellationToken);
                foreach (var other in page.Where(j => j.Id != offboarding.Id && JobStatuses.IsUnfinished(j.Status)))
                {
                    if (other.Type == JobType.Deletion)
                    {
                        // A person asked to be erased: whatever becomes of the erasure, no copy of them goes into the final export.
                        await Ports.Subjects.ExcludeAsync(offboarding.TenantId, offboarding.Id, other.SubjectRef, cancellationToken);
                    }

                    // A scrub is owed for a deletion of data this offboarding now deletes in full, every version, with a scrub of its own.
                    var cancel = other.Type == JobType.BackupScrub ? JobTransitions.Cancel(other.Type, null, Now)
                        : other.IsCancellable ? JobTransitions.CancelNow(other, Now)
                        : null;
                    if (cancel is not null && await Jobs.TryUpdateAsync(other.TenantId, other.Id, cancel, cancellationToken) is not null)
                    {
                        await Ports.Workflows.StopAsync(other, "Cancelled: the tenant is being offboarded.", cancellationToken);
                        cancelled.Add(other.Id);
                    }
                    else
                    {
                        waiting.Add(other);
                    }
                }

                cursor = next;
            }
            while (cursor is not null);
        }

        return (cancelled, waiting);
    }
}
