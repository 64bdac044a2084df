using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Erasure;

namespace Lethe.Domain.Ingest;

/// <summary>
/// Uploads whose object never arrived: presigned, never PUT (or PUT after the link expired, which the receiver rejects). Once the
/// link has been expired for an hour (an object PUT just before the end may still be on its way through the queue), the daily
/// sweep marks each <c>failed</c>, audits it, and soft-deletes its two inventory items with their recovery window already
/// over, so the soft-delete sweep that runs next purges the row (and its file name) the same day. A subject under a legal hold
/// keeps them: the soft-delete sweep skips held subjects. An upload whose object is in the bucket is not abandoned, however late:
/// its event is still on its way through a backed-up queue (or in the dead-letter queue), and the receiver judges it.
/// </summary>
public sealed class AbandonedUploads(IUploadStore uploads, IIngestObjects objects, IErasureInventory inventory, IAuditJournal audit, TimeProvider clock)
{
    public static readonly AuditActor Actor = new("lethe-upload-sweep", "system");

    /// <summary>How long after its link expired an upload with no object counts as abandoned.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromHours(1);

    public const string Reason = "No object arrived before the upload's link expired.";
    public const int PageSize = 100;

    /// <summary>Returns how many uploads were given up.</summary>
    public async Task<int> SweepAsync(string tenantId, CancellationToken cancellationToken)
    {
        var abandoned = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var now = clock.GetUtcNow();
            var page = (await uploads.ListAbandonedAsync(tenantId, now - Grace, PageSize + seen.Count, cancellationToken)).Where(u => seen.Add(u.Id)).ToList();
            if (page.Count == 0)
            {
                return abandoned;
            }

            foreach (var upload in page)
            {
                if (await objects.HeadAsync(UploadRules.ObjectKey(tenantId, upload.Id), cancellationToken) is not null)
                {
                    continue;
                }

                if (!await uploads.TryMoveAsync(tenantId, upload.Id, new UploadMove([UploadStatus.Pending], UploadStatus.Failed, now) { Reason = Reason }, cancellationToken))
                {
                    continue;
                }

                var items = new List<Records.InventoryItem>();
                foreach (var itemId in new[] { UploadItems.ItemId(upload.Id), UploadItems.ObjectItemId(upload.Id) })
                {
                    if (await inventory.FindAsync(tenantId, itemId, cancellationToken) is { } item)
                    {
                        items.Add(item);
                    }
                }

                await inventory.SoftDeleteAsync(tenantId, items, upload.Id, purgeAt: now, now, cancellationToken);
                using var details = JsonDocument.Parse(new JsonObject { ["uploadId"] = upload.Id, ["subjectRef"] = upload.SubjectRef, ["reason"] = "abandoned" }.ToJsonString());
                await audit.AppendAsync(new AuditEvent($"{upload.Id}:abandoned", tenantId, now, Actor, "upload.abandoned", $"upload/{upload.Id}", AuditActions.Success, details.RootElement.Clone()), cancellationToken);
                abandoned++;
            }
        }
    }
}

/// <summary>The inventory items of an upload: its row, and the object the client may put.</summary>
public static class UploadItems
{
    public static string ItemId(string uploadId) => $"upload_{uploadId}";

    public static string ObjectItemId(string uploadId) => $"upload_{uploadId}_object";
}
