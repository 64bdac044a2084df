using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Erasure;
using Lethe.Domain.Errors;
using Lethe.Domain.Records;

namespace Lethe.Aws.Erasure;

/// <summary>
/// Deletes what inventory items point to, batched across a whole page: table items through BatchWriteItem (25 per call,
/// unprocessed items retried with exponential backoff and jitter) and every version and delete marker of objects through
/// DeleteObjects (1,000 keys per call). Data already gone counts as deleted. Throttling that outlasts the SDK's retries
/// surfaces as <c>Lethe.Transient</c> so the workflow's Retry takes over.
/// </summary>
public sealed class StorePurger(IAmazonDynamoDB dynamo, IAmazonS3 s3, Func<string, string> tableName, Func<string, string> bucketName) : IDataPurger
{
    public const int BatchWriteLimit = 25;
    public const int DeleteObjectsLimit = 1000;
    private const int UnprocessedAttempts = 8;
    private const int FolderListingThreshold = 4;

    public async Task<IReadOnlyList<PurgeOutcome>> PurgeAsync(string tenantId, IReadOnlyList<InventoryItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var versions = items.ToDictionary(i => i.ItemId, _ => 0L, StringComparer.Ordinal);
        try
        {
            await DeleteTableItemsAsync(tenantId, items.Where(i => i.Store == "dynamodb").ToList(), failures, cancellationToken);
            await DeleteObjectVersionsAsync(tenantId, items.Where(i => i.Store == "s3").ToList(), versions, failures, cancellationToken);
            // An archived record that a retrieval made readable has a copy in its table: it goes too.
            await DeleteTableItemsAsync(tenantId, items.Where(i => i.Store == "s3" && i.Location.ContainsKey("row")).ToList(), failures, cancellationToken);
        }
        catch (AmazonServiceException ex) when (ex.StatusCode is System.Net.HttpStatusCode.ServiceUnavailable or System.Net.HttpStatusCode.TooManyRequests
            || ex.ErrorCode is "ThrottlingException" or "ProvisionedThroughputExceededException" or "RequestLimitExceeded" or "SlowDown" or "InternalError")
        {
            throw new TransientException($"The purge was throttled: {ex.ErrorCode}.", ex);
        }

        foreach (var item in items.Where(i => i.Store is not ("dynamodb" or "s3")))
        {
            failures[item.ItemId] = $"Unknown store '{item.Store}': nothing was deleted.";
        }

        return items.Select(i => new PurgeOutcome(i.ItemId, versions[i.ItemId], failures.GetValueOrDefault(i.ItemId))).ToList();
    }

    private async Task DeleteTableItemsAsync(string tenantId, List<InventoryItem> items, Dictionary<string, string> failures, CancellationToken cancellationToken)
    {
        var deletes = new List<(string Owner, string Table, Dictionary<string, AttributeValue> Key)>();
        foreach (var item in items)
        {
            var key = item.Store == "s3" ? item.Location.GetValueOrDefault("row") : item.Location.GetValueOrDefault("key");
            if (!item.Location.TryGetValue("table", out var logical) || key is null)
            {
                failures[item.ItemId] = "The inventory item names no table key.";
                continue;
            }

            var table = tableName(logical);
            deletes.Add((item.ItemId, table, DynamoKeys.Of(tenantId, key)));
            if (item.Location.TryGetValue("historyPrefix", out var prefix))
            {
                foreach (var sortKey in await SortKeysWithPrefixAsync(table, tenantId, prefix, cancellationToken))
                {
                    deletes.Add((item.ItemId, table, DynamoKeys.Of(tenantId, sortKey)));
                }
            }
        }

        // Items can share rows (every consent purpose of a subject shares its history prefix): each row is deleted once, as
        // DynamoDB refuses a batch that names one key twice.
        deletes = deletes.DistinctBy(d => (d.Table, d.Key[ResourceCatalog.SortKeyName].S)).ToList();
        foreach (var batch in deletes.Chunk(BatchWriteLimit))
        {
            var pending = batch.GroupBy(d => d.Table).ToDictionary(
                g => g.Key,
                g => g.Select(d => new WriteRequest { DeleteRequest = new DeleteRequest { Key = d.Key } }).ToList());
            for (var attempt = 1; pending.Count > 0; attempt++)
            {
                if (attempt > UnprocessedAttempts)
                {
                    foreach (var unprocessed in pending.SelectMany(p => p.Value))
                    {
                        var sk = unprocessed.DeleteRequest.Key[ResourceCatalog.SortKeyName].S;
                        var owner = batch.First(d => d.Key[ResourceCatalog.SortKeyName].S == sk).Owner;
                        failures[owner] = $"DynamoDB left the delete unprocessed after {UnprocessedAttempts} attempts.";
                    }

                    break;
                }

                if (attempt > 1)
                {
                    await Task.Delay(Backoff(attempt), cancellationToken);
                }

                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellationToken);
                pending = response.UnprocessedItems is { Count: > 0 } left ? left : [];
            }
        }
    }

    private async Task<List<string>> SortKeysWithPrefixAsync(string table, string tenantId, string prefix, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "pk = :p AND begins_with(sk, :prefix)",
                ExpressionAttributeValues = new()
                {
                    [":p"] = new() { S = DynamoKeys.TenantPartition(tenantId) },
                    [":prefix"] = new() { S = prefix },
                },
                ProjectionExpression = "sk",
                ExclusiveStartKey = start,
            }, cancellationToken);
            keys.AddRange(page.Items.Select(i => i[ResourceCatalog.SortKeyName].S));
            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);

        return keys;
    }

    private async Task DeleteObjectVersionsAsync(string tenantId, List<InventoryItem> items, Dictionary<string, long> versions, Dictionary<string, string> failures, CancellationToken cancellationToken)
    {
        var byBucket = new Dictionary<string, List<(string Owner, string Key, string VersionId)>>(StringComparer.Ordinal);
        var wanted = new List<(string Bucket, string Key, string Owner)>();
        var purgedNow = items.Select(i => i.ItemId).ToHashSet(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!item.Location.TryGetValue("bucket", out var logical) || !item.Location.TryGetValue("key", out var key))
            {
                failures[item.ItemId] = "The inventory item names no object.";
                continue;
            }

            // An archived object shared with records still kept (in a later page, held, restored): it stays for them. This
            // record's entry in it is unreadable from now on, as its key leaves the item with the purge.
            if (item.Location.ContainsKey("row") && await SharedWithLiveItemsAsync(tenantId, item, key, purgedNow, cancellationToken))
            {
                continue;
            }

            wanted.Add((bucketName(logical), key, item.ItemId));
        }

        // One listing per folder of the page's objects (a subject's files share {tenant}/{subjectRef}/), not one per object.
        // Several items can share one object (the records of one archived object): its versions count for the first of them,
        // and the object's deletion for all.
        foreach (var folder in wanted.GroupBy(w => (w.Bucket, Folder: Folder(w.Key))))
        {
            var owners = folder.GroupBy(w => w.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(w => w.Owner).ToList(), StringComparer.Ordinal);
            var list = byBucket.TryGetValue(folder.Key.Bucket, out var existing) ? existing : byBucket[folder.Key.Bucket] = [];
            var keys = owners.Keys.ToHashSet(StringComparer.Ordinal);
            // A few objects: list each by its own key; many: list their folder from just before the page's first key to its last
            // (1,000 versions a call), so a page's listing is bounded by the page, not by everything else in the folder.
            var ranges = owners.Count <= FolderListingThreshold
                ? owners.Keys.Select(k => (Prefix: k, From: (string?)null, To: (string?)null)).ToList()
                : [(folder.Key.Folder, keys.Min(Utf8Order.Instance), keys.Max(Utf8Order.Instance))];
            var seen = new HashSet<(string, string)>();
            foreach (var (prefix, from, to) in ranges)
            {
                foreach (var (key, versionId) in await VersionsUnderAsync(folder.Key.Bucket, prefix, keys, from, to, cancellationToken))
                {
                    // One key's prefix can cover another's (a/x and a/x.bak): each version once.
                    if (seen.Add((key, versionId)))
                    {
                        list.Add((owners[key][0], key, versionId));
                    }
                }
            }
        }

        foreach (var (bucket, targets) in byBucket)
        {
            foreach (var batch in targets.Chunk(DeleteObjectsLimit))
            {
                var response = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
                {
                    BucketName = bucket,
                    Objects = batch.Select(t => new KeyVersion { Key = t.Key, VersionId = t.VersionId }).ToList(),
                }, cancellationToken);
                var errors = (response.DeleteErrors ?? []).ToDictionary(e => (e.Key, e.VersionId), e => $"{e.Code}: {e.Message}");
                foreach (var target in batch)
                {
                    if (errors.TryGetValue((target.Key, target.VersionId), out var failure) && !failure.StartsWith("NoSuchVersion", StringComparison.Ordinal))
                    {
                        failures[target.Owner] = $"S3 refused to delete version {target.VersionId}: {failure}";
                    }
                    else
                    {
                        versions[target.Owner]++;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The versions of <paramref name="keys"/> under <paramref name="prefix"/>; with a range, the listing starts just before
    /// <paramref name="from"/> and stops after <paramref name="to"/> (S3 lists keys in UTF-8 byte order).
    /// </summary>
    private async Task<List<(string Key, string VersionId)>> VersionsUnderAsync(
        string bucket, string prefix, HashSet<string> keys, string? from, string? to, CancellationToken cancellationToken)
    {
        var found = new List<(string, string)>();
        // Listing begins after the marker: the first key less one character sorts before it (and after nothing of the page).
        string? keyMarker = from is { Length: > 1 } ? from[..^1] : null, versionMarker = null;
        bool more;
        do
        {
            var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = prefix, KeyMarker = keyMarker, VersionIdMarker = versionMarker }, cancellationToken);
            var versions = page.Versions ?? [];
            found.AddRange(versions.Where(v => keys.Contains(v.Key)).Select(v => (v.Key, v.VersionId ?? "null")));
            var pastTheEnd = to is not null && versions.Count > 0 && Utf8Order.Instance.Compare(versions[^1].Key, to) > 0;
            more = page.IsTruncated == true && !pastTheEnd;
            keyMarker = page.NextKeyMarker;
            versionMarker = page.NextVersionIdMarker;
        }
        while (more);

        return found;
    }

    /// <summary>Whether another item of the subject, outside this purge and not purged, is archived in the same object.</summary>
    private async Task<bool> SharedWithLiveItemsAsync(string tenantId, InventoryItem item, string key, HashSet<string> batch, CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName(ResourceCatalog.Inventory.LogicalName),
                IndexName = ResourceCatalog.Inventory.GlobalIndexes[0].Name,
                KeyConditionExpression = "subjectPk = :s",
                FilterExpression = "#location.#key = :key AND #state <> :purged",
                ExpressionAttributeNames = new() { ["#location"] = "location", ["#key"] = "key", ["#state"] = "state" },
                ExpressionAttributeValues = new()
                {
                    // The object's own key names its subject ({tenant}/{subjectRef}/archive/…): a manifest's copy of the item may not.
                    [":s"] = new() { S = Records.DynamoRecordStore.SubjectPartition(tenantId, item.SubjectRef is { Length: > 0 } subjectRef ? subjectRef : key.Split('/')[1]) },
                    [":key"] = new() { S = key },
                    [":purged"] = new() { S = Domain.Records.ItemStates.Name(Domain.Records.ItemState.Purged) },
                },
                ProjectionExpression = "itemId",
                ExclusiveStartKey = start,
            }, cancellationToken);
            if (page.Items.Any(i => !batch.Contains(i["itemId"].S)))
            {
                return true;
            }

            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);

        return false;
    }

    /// <summary>S3's key order: UTF-8 bytes, compared one by one.</summary>
    private sealed class Utf8Order : IComparer<string>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(string? x, string? y) =>
            x is null || y is null ? string.CompareOrdinal(x, y) : System.Text.Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y));
    }

    /// <summary>The first two segments of a key (<c>{tenant}/{subjectRef}/</c>), or the key itself when it has fewer.</summary>
    private static string Folder(string key)
    {
        var first = key.IndexOf('/', StringComparison.Ordinal);
        var second = first < 0 ? -1 : key.IndexOf('/', first + 1);
        return second < 0 ? key : key[..(second + 1)];
    }

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(2000, 25 * (1 << Math.Min(attempt, 7))) + Random.Shared.Next(25));
}
