using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Erasure;
using Lethe.Domain.Errors;

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

    public async Task<IReadOnlyList<PurgeOutcome>> PurgeAsync(string tenantId, IReadOnlyList<ErasureItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var versions = items.ToDictionary(i => i.ItemId, _ => 0L, StringComparer.Ordinal);
        try
        {
            await DeleteTableItemsAsync(tenantId, items.Where(i => i.Store == "dynamodb").ToList(), failures, cancellationToken);
            await DeleteObjectVersionsAsync(items.Where(i => i.Store == "s3").ToList(), versions, failures, cancellationToken);
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

    private async Task DeleteTableItemsAsync(string tenantId, List<ErasureItem> items, Dictionary<string, string> failures, CancellationToken cancellationToken)
    {
        var deletes = new List<(string Owner, string Table, Dictionary<string, AttributeValue> Key)>();
        foreach (var item in items)
        {
            if (!item.Location.TryGetValue("table", out var logical) || !item.Location.TryGetValue("key", out var key))
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

    private async Task DeleteObjectVersionsAsync(List<ErasureItem> items, Dictionary<string, long> versions, Dictionary<string, string> failures, CancellationToken cancellationToken)
    {
        var byBucket = new Dictionary<string, List<(string Owner, string Key, string VersionId)>>(StringComparer.Ordinal);
        var wanted = new List<(string Bucket, string Key, string Owner)>();
        foreach (var item in items)
        {
            if (!item.Location.TryGetValue("bucket", out var logical) || !item.Location.TryGetValue("key", out var key))
            {
                failures[item.ItemId] = "The inventory item names no object.";
                continue;
            }

            wanted.Add((bucketName(logical), key, item.ItemId));
        }

        // One listing per folder of the page's objects (a subject's files share {tenant}/{subjectRef}/), not one per object.
        foreach (var folder in wanted.GroupBy(w => (w.Bucket, Folder: Folder(w.Key))))
        {
            var owners = folder.ToDictionary(w => w.Key, w => w.Owner, StringComparer.Ordinal);
            var list = byBucket.TryGetValue(folder.Key.Bucket, out var existing) ? existing : byBucket[folder.Key.Bucket] = [];
            var keys = owners.Keys.ToHashSet(StringComparer.Ordinal);
            // A few objects: list each by its own key; many: list their folder once (1,000 versions a call) and keep theirs.
            var prefixes = owners.Count <= FolderListingThreshold ? owners.Keys.ToList() : [folder.Key.Folder];
            var seen = new HashSet<(string, string)>();
            foreach (var prefix in prefixes)
            {
                foreach (var (key, versionId) in await VersionsUnderAsync(folder.Key.Bucket, prefix, keys, cancellationToken))
                {
                    // One key's prefix can cover another's (a/x and a/x.bak): each version once.
                    if (seen.Add((key, versionId)))
                    {
                        list.Add((owners[key], key, versionId));
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

    private async Task<List<(string Key, string VersionId)>> VersionsUnderAsync(string bucket, string prefix, HashSet<string> keys, CancellationToken cancellationToken)
    {
        var found = new List<(string, string)>();
        string? keyMarker = null, versionMarker = null;
        bool truncated;
        do
        {
            var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = prefix, KeyMarker = keyMarker, VersionIdMarker = versionMarker }, cancellationToken);
            found.AddRange((page.Versions ?? []).Where(v => keys.Contains(v.Key)).Select(v => (v.Key, v.VersionId ?? "null")));
            truncated = page.IsTruncated == true;
            keyMarker = page.NextKeyMarker;
            versionMarker = page.NextVersionIdMarker;
        }
        while (truncated);

        return found;
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
