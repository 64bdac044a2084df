using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;

namespace Lethe.Domain.Erasure;

public sealed record SweepResult(string TenantId, int Purged, int Held, int Failed);

/// <summary>
/// Purges soft-deleted items whose recovery window has ended and that no erasure workflow will purge any more (a cancelled
/// request leaves its items soft-deleted: restorable until purgeAt, gone after). Runs with the daily retention schedule in AWS,
/// on demand locally. Items of a subject under a legal hold are skipped and stay, and so are items of a subject whose erasure
/// is still open (paused by a hold, or slow): that erasure purges them, shreds the key and certifies. Everything else moves
/// <c>soft_deleted → purging → purged</c> with the same conditional writes as the workflow, so it never races a restore.
/// </summary>
public sealed class SoftDeleteSweep(IErasureInventory inventory, IDataPurger purger, IHoldCheck holds, Jobs.IJobStore jobs, IAuditJournal audit, TimeProvider clock)
{
    public static readonly AuditActor Actor = new("lethe-soft-delete-sweep", "system");
    public const int PageSize = 200;

    public async Task<SweepResult> SweepAsync(string tenantId, CancellationToken cancellationToken)
    {
        int purged = 0, held = 0, failed = 0;
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        for (var page = 1; ; page++)
        {
            var now = clock.GetUtcNow();
            var due = (await inventory.DueAsync(tenantId, now, PageSize + skipped.Count, cancellationToken)).Where(i => !skipped.Contains(i.ItemId)).ToList();
            if (due.Count == 0)
            {
                break;
            }

            // Hidden by a job that is still running (a retention run between its hide and its purge): that job purges them,
            // counts them and certifies them.
            var running = new List<Records.InventoryItem>();
            foreach (var byJob in due.Where(i => i.ErasureJobId is not null).GroupBy(i => i.ErasureJobId!, StringComparer.Ordinal))
            {
                if (await jobs.FindAsync(tenantId, byJob.Key, cancellationToken) is { } owner && Jobs.JobStatuses.IsOpen(owner.Status))
                {
                    running.AddRange(byJob);
                }
            }

            skipped.UnionWith(running.Select(i => i.ItemId));
            due = due.Except(running).ToList();
            if (due.Count == 0)
            {
                continue;
            }

            var heldSubjects = new HashSet<string>(StringComparer.Ordinal);
            foreach (var subject in due.Select(i => i.SubjectRef ?? string.Empty).Distinct(StringComparer.Ordinal))
            {
                if (await holds.IsHeldAsync(tenantId, subject, cancellationToken) || await jobs.OpenErasureAsync(tenantId, subject, cancellationToken) is not null)
                {
                    heldSubjects.Add(subject);
                }
            }

            var purging = new HashSet<string>(StringComparer.Ordinal);
            foreach (var subject in due.Select(i => i.SubjectRef ?? string.Empty).Distinct(StringComparer.Ordinal).Where(s => !heldSubjects.Contains(s)))
            {
                try
                {
                    purging.UnionWith(await inventory.BeginPurgeAsync(tenantId, subject, due.Where(i => (i.SubjectRef ?? string.Empty) == subject).ToList(), now, cancellationToken));
                }
                catch (LegalHoldException)
                {
                    // A hold placed since the check above: the move is conditional on none, so what is not purging yet stays.
                    heldSubjects.Add(subject);
                }
            }

            var keep = due.Where(i => heldSubjects.Contains(i.SubjectRef ?? string.Empty) && !purging.Contains(i.ItemId)).ToList();
            var purgeable = due.Except(keep).ToList();
            var targets = purgeable.Where(i => purging.Contains(i.ItemId)).ToList();
            var outcomes = targets.Count == 0 ? [] : await purger.PurgeAsync(tenantId, targets, cancellationToken);
            var done = outcomes.Where(o => o.Succeeded).Select(o => (o.ItemId, o.Versions)).ToList();
            await inventory.MarkPurgedAsync(tenantId, done, "soft-delete-sweep", now, cancellationToken);
            var pageFailed = outcomes.Count(o => !o.Succeeded);
            purged += done.Count;
            held += keep.Count;
            failed += pageFailed;
            skipped.UnionWith(keep.Select(i => i.ItemId));
            skipped.UnionWith(outcomes.Where(o => !o.Succeeded).Select(o => o.ItemId));
            skipped.UnionWith(purgeable.Where(i => !purging.Contains(i.ItemId)).Select(i => i.ItemId));

            var ids = done.Select(d => d.ItemId).Order(StringComparer.Ordinal).ToList();
            var details = new JsonObject
            {
                ["page"] = page,
                ["purged"] = done.Count,
                ["held"] = keep.Count,
                ["failed"] = pageFailed,
                ["manifestSha256"] = Jobs.Workflow.WorkflowAudit.ManifestSha256(ids),
            };
            using var document = JsonDocument.Parse(details.ToJsonString());
            await audit.AppendAsync(new AuditEvent(Guid.NewGuid().ToString("N"), tenantId, now, Actor, "sweep.purge", $"tenant/{tenantId}",
                pageFailed > 0 ? "partial" : "success", document.RootElement.Clone()), cancellationToken);
        }

        return new SweepResult(tenantId, purged, held, failed);
    }
}
