using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;

namespace Lethe.Domain.Replay.Steps;

/// <summary>
/// ReplayPage: one step of the walk over the tenant's completed erasures, then its completed retention runs. Reaching a job, an
/// erasure that shredded its subject's KEK shreds it again if a restore brought that very key back (the certificate in the
/// Object-Lock bucket names it, and survives any restore). Then one page of the job's tombstones: what each says was purged
/// is deleted again where a restore brought it back (an item taken over by newer data under its key is no tombstone any
/// more, and is left alone). The page's counts are added to the job once; its audit event names the ids removed again.
/// </summary>
public sealed class ReplayPageStep(ErasureReplayPorts ports)
    : WorkflowStep<ErasureReplayState>(ErasureReplayWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    public override async Task<ErasureReplayState> RunAsync(ErasureReplayState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Status == JobStatus.Running && job.Phase == JobPhases.Replay && state.Cursor is null && state.Page == 0)
        {
            // A restart from the first job (its execution was lost): the earlier pages' counts are cleared, not added twice.
            await Jobs.TryUpdateAsync(job.TenantId, job.Id, JobTransitions.Recount(JobPhases.Replay, Now), cancellationToken);
        }

        job = await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.Replay, Now), cancellationToken);
        var cursor = ReplayCursor.Decode(state.Cursor);
        var page = state.Page + 1;
        long keys = 0;
        if (cursor.SourceJobId is null)
        {
            // The next completed job of the kind being walked; erasures first, then retention runs; then nothing is left.
            var (found, next) = await Jobs.ListAsync(job.TenantId, new JobQuery(JobStatus.Completed, cursor.Walking, null, cursor.JobsCursor, 1), cancellationToken);
            if (found.FirstOrDefault(j => j.Type == cursor.Walking) is not { } source)
            {
                var after = next is not null ? cursor with { JobsCursor = next }
                    : cursor.Walking == JobType.Deletion ? new ReplayCursor(JobType.RetentionSweep, null, null, null) : null;
                return Continue(state, after, page);
            }

            cursor = cursor with { JobsCursor = next, SourceJobId = source.Id, TombstonesCursor = null, SourceTombstones = 0 };
            keys = await ReshredAsync(source, cancellationToken);
            if (next is null && cursor.Walking == JobType.Deletion)
            {
                // The last erasure: its tombstones are read, then the walk goes on with the retention runs.
                cursor = cursor with { JobsCursor = null };
            }
        }

        var (tombstones, tombstonesNext) = await Ports.Tombstones.PurgedByAsync(job.TenantId, cursor.SourceJobId!, cursor.TombstonesCursor, state.PageSize, cancellationToken);
        var stillPurged = tombstones.Where(t => t.State == ItemState.Purged).ToList();
        var outcome = stillPurged.Count == 0
            ? new ReplayOutcome([], new Dictionary<string, long>(), 0, [])
            : await Ports.Purger.RemoveAgainAsync(job.TenantId, cursor.SourceJobId!, stillPurged, cancellationToken);
        var byStore = new Dictionary<string, long>(outcome.RemovedByStore, StringComparer.Ordinal);
        if (keys > 0)
        {
            byStore[ErasureReplayWorkflow.Keys] = keys;
        }

        var errors = outcome.Failed.Select(f => new JobError(f.ItemId, f.Failure, Now)).ToList();
        var failed = errors.Count;
        cursor = cursor with { SourceTombstones = cursor.SourceTombstones + tombstones.Count };
        if (tombstonesNext is null && await ShortfallAsync(job, cursor, cancellationToken) is { } shortfall)
        {
            // Listed for review, not a failure of the replay: what the index does not hold cannot be replayed from it.
            errors.Add(shortfall);
        }

        var earned = ErasureCounts.None with
        {
            Total = tombstones.Count,
            Purged = outcome.RemovedAgain.Count,
            Failed = failed,
            VersionsDeleted = outcome.Versions,
            PurgedByStore = byStore,
        };
        await Jobs.RecordPageAsync(job.TenantId, job.Id, $"{JobPhases.Replay}-{state.Execution}", page, earned, errors, Now, cancellationToken);
        await AuditOnceAsync(job, $"page:{state.Execution}:{page}", "erasure-replay.page", failed > 0 ? "partial" : AuditActions.Success, new JsonObject
        {
            ["page"] = page,
            ["sourceJobId"] = cursor.SourceJobId,
            ["tombstones"] = tombstones.Count,
            ["removedAgain"] = new JsonArray(outcome.RemovedAgain.Take(ErasureReplayWorkflow.NamedPerPage).Select(id => (JsonNode)JsonValue.Create(id)!).ToArray()),
            ["removedAgainCount"] = outcome.RemovedAgain.Count,
            ["keysShreddedAgain"] = keys,
            ["failed"] = failed,
        }, cancellationToken);

        ReplayCursor? following = tombstonesNext is not null ? cursor with { TombstonesCursor = tombstonesNext }
            : cursor.JobsCursor is not null ? cursor with { SourceJobId = null, TombstonesCursor = null }
            : cursor.Walking == JobType.Deletion ? new ReplayCursor(JobType.RetentionSweep, null, null, null)
            : null;
        return Continue(state, following, page);
    }

    private ErasureReplayPorts Ports { get; } = ports;

    private static ErasureReplayState Continue(ErasureReplayState state, ReplayCursor? next, long page)
    {
        var inExecution = state.PagesInExecution + 1;
        return state with
        {
            Cursor = next?.Encode(),
            Page = page,
            More = next is not null,
            PagesInExecution = inExecution,
            HandOver = next is not null && inExecution >= state.PagesPerExecution,
        };
    }

    /// <summary>
    /// A note when the source job certified more purged items than the tombstone index holds for it: tombstones written before the
    /// index existed, an Inventory table restored to before the job, or items since taken over by newer data under their key.
    /// </summary>
    private async Task<JobError?> ShortfallAsync(Job job, ReplayCursor cursor, CancellationToken cancellationToken)
    {
        var source = await Jobs.FindAsync(job.TenantId, cursor.SourceJobId!, cancellationToken);
        return source is not null && cursor.SourceTombstones < source.Counts.Purged
            ? new JobError(source.Id, $"{JobTypes.Name(source.Type)} {source.Id} certified {source.Counts.Purged} purged item(s), but {cursor.SourceTombstones} tombstone(s) name it: the rest predate the tombstone index, were restored away with the Inventory table, or were taken over by newer data (a consent granted again). Replay those from the certificate by hand.", Now)
            : null;
    }

    /// <summary>An erasure whose certificate says it deleted the subject's KEK: that KEK, if a restore brought it back, goes again.</summary>
    private async Task<long> ReshredAsync(Job source, CancellationToken cancellationToken)
    {
        if (source.Type != JobType.Deletion || await Ports.Certificates.FindAsync(source.TenantId, source.Id, "deletion", cancellationToken) is not { } certificate)
        {
            return 0;
        }

        using var payload = JsonDocument.Parse(certificate.Payload);
        var methods = payload.RootElement.TryGetProperty("methods", out var m) ? m : default;
        if (methods.ValueKind != JsonValueKind.Object
            || methods.GetProperty("cryptoShred").GetString() != "kek-deleted"
            || methods.GetProperty("shreddedKekId").GetString() is not { } kekId || kekId == "none")
        {
            // kek-replaced or kek-kept: survivors live under the subject's KEK of the time; the purged items' data is deleted
            // again by their tombstones instead.
            return 0;
        }

        return await Ports.Keys.ReshredAsync(source.TenantId, source.SubjectRef, kekId, cancellationToken) ? 1 : 0;
    }
}
