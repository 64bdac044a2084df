using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Jobs;
using Lethe.Catalog;
using Lethe.Domain.Jobs;
using Lethe.Domain.Offboarding;

namespace Lethe.Aws.Offboarding;

/// <summary>A table whose tenant partition the offboarding empties.</summary>
public sealed record PurgedTable(string LogicalName, string Name);

/// <summary>A bucket whose tenant prefix the offboarding empties, every version (a replica through its own region's client).</summary>
public sealed record PurgedBucket(string LogicalName, string Name, IAmazonS3 Client);

/// <summary>
/// Everything of a tenant, page by page (DynamoDB and S3): the items of its partition (<c>TENANT#t</c>) in each table, in the
/// order given (the Keys table first: every KEK and the subject-ref key go before anything else), but the tenant's own profile
/// and the offboarding's job and lock; then every version and delete marker under <c>{tenant}/</c> in each bucket. The cursor
/// names the store and where its listing continues.
/// </summary>
public sealed class TenantStorePurger(IAmazonDynamoDB dynamo, IReadOnlyList<PurgedTable> tables, IReadOnlyList<PurgedBucket> buckets) : ITenantPurger
{
    private const int UnprocessedAttempts = 8;

    /// <summary>The tenant's own item in the Tenants table: it stays, so the tenant answers 410 (terminated) and not 404.</summary>
    private const string TenantProfile = "PROFILE";

    public async Task<TenantPurgePage> PurgePageAsync(Job offboarding, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offboarding);
        var kept = new HashSet<string>(StringComparer.Ordinal)
        {
            TenantProfile,
            DynamoJobStore.JobSortKey(offboarding.Id),
            ErasureLocks.SortKey(JobTypes.LockName(offboarding)),
        };
        var (store, position) = Decode(cursor);
        var deleted = new Dictionary<string, long>(StringComparer.Ordinal);
        long versions = 0;
        var budget = Math.Max(1, limit);
        while (store < tables.Count + buckets.Count && budget > 0)
        {
            string? next;
            long count;
            if (store < tables.Count)
            {
                (count, next) = await PurgeTablePageAsync(tables[store], offboarding.TenantId, kept, position, budget, cancellationToken);
                Tally(deleted, tables[store].LogicalName, count);
            }
            else
            {
                var bucket = buckets[store - tables.Count];
                (count, next) = await PurgeBucketPageAsync(bucket, offboarding.TenantId, position, budget, cancellationToken);
                Tally(deleted, bucket.LogicalName, count);
                versions += count;
            }

            budget -= (int)Math.Min(budget, Math.Max(count, 1));
            if (next is not null)
            {
                position = next;
            }
            else
            {
                (store, position) = (store + 1, null);
            }
        }

        var done = store >= tables.Count + buckets.Count;
        return new TenantPurgePage(deleted, versions, done ? null : Encode(store, position));
    }

    private static void Tally(Dictionary<string, long> deleted, string store, long count)
    {
        if (count > 0)
        {
            deleted[store] = deleted.GetValueOrDefault(store) + count;
        }
    }

    /// <summary>One page of the tenant's partition (read consistently, keys only), deleted in batches of 25 but for the kept items.</summary>
    private async Task<(long Deleted, string? Next)> PurgeTablePageAsync(
        PurgedTable table, string tenantId, HashSet<string> kept, string? afterSortKey, int limit, CancellationToken cancellationToken)
    {
        var page = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = table.Name,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new() { ["#pk"] = ResourceCatalog.PartitionKeyName, ["#sk"] = ResourceCatalog.SortKeyName },
            ExpressionAttributeValues = new() { [":pk"] = new() { S = DynamoKeys.TenantPartition(tenantId) } },
            ProjectionExpression = "#pk, #sk",
            ConsistentRead = true,
            Limit = Math.Min(limit, 1000),
            ExclusiveStartKey = afterSortKey is null ? null : DynamoKeys.Of(tenantId, afterSortKey),
        }, cancellationToken);
        var doomed = page.Items.Select(i => i[ResourceCatalog.SortKeyName].S)
            .Where(sk => !(kept.Contains(sk) && (table.LogicalName == ResourceCatalog.Jobs.LogicalName || table.LogicalName == ResourceCatalog.Tenants.LogicalName)))
            .ToList();
        foreach (var batch in doomed.Chunk(25))
        {
            await DeleteBatchAsync(table.Name, tenantId, batch, cancellationToken);
        }

        var next = page.LastEvaluatedKey is { Count: > 0 } last ? last[ResourceCatalog.SortKeyName].S : null;
        return (doomed.Count, next);
    }

    private async Task DeleteBatchAsync(string table, string tenantId, IReadOnlyList<string> sortKeys, CancellationToken cancellationToken)
    {
        var pending = new Dictionary<string, List<WriteRequest>>
        {
            [table] = sortKeys.Select(sk => new WriteRequest { DeleteRequest = new DeleteRequest { Key = DynamoKeys.Of(tenantId, sk) } }).ToList(),
        };
        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            if (attempt > UnprocessedAttempts)
            {
                throw new Domain.Errors.TransientException($"DynamoDB left {pending.Sum(p => p.Value.Count)} delete(s) of tenant {tenantId} in {table} unprocessed after {UnprocessedAttempts} attempts.");
            }

            if (attempt > 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 25 * (1 << Math.Min(attempt, 7))) + Random.Shared.Next(25)), cancellationToken);
            }

            var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellationToken);
            pending = response.UnprocessedItems is { Count: > 0 } left ? left : [];
        }
    }

    /// <summary>One listing of versions and delete markers under the tenant's prefix, every one of them deleted.</summary>
    private static async Task<(long Deleted, string? Next)> PurgeBucketPageAsync(PurgedBucket bucket, string tenantId, string? position, int limit, CancellationToken cancellationToken)
    {
        var (keyMarker, versionMarker) = SplitMarker(position);
        var page = await bucket.Client.ListVersionsAsync(new ListVersionsRequest
        {
            BucketName = bucket.Name,
            Prefix = $"{tenantId}/",
            KeyMarker = keyMarker,
            VersionIdMarker = versionMarker,
            MaxKeys = Math.Min(limit, 1000),
        }, cancellationToken);
        var versions = page.Versions ?? [];
        if (versions.Count > 0)
        {
            var response = await bucket.Client.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = bucket.Name,
                Objects = versions.Select(v => new KeyVersion { Key = v.Key, VersionId = v.VersionId is null or "null" ? null : v.VersionId }).ToList(),
                Quiet = true,
            }, cancellationToken);
            if ((response.DeleteErrors ?? []).Where(e => e.Code != "NoSuchVersion" && e.Code != "NoSuchKey").ToList() is { Count: > 0 } errors)
            {
                throw new Domain.Errors.TransientException(
                    $"S3 refused {errors.Count} deletion(s) under {tenantId}/ in {bucket.LogicalName}: {errors[0].Code}: {errors[0].Message}");
            }
        }

        var next = page.IsTruncated == true ? $"{page.NextKeyMarker}\n{page.NextVersionIdMarker}" : null;
        return (versions.Count, next);
    }

    private static (string? Key, string? Version) SplitMarker(string? position)
    {
        if (position is null)
        {
            return (null, null);
        }

        // The version marker never holds a newline; a key may: split at the last one.
        var split = position.LastIndexOf('\n');
        var (key, version) = split < 0 ? (position, "") : (position[..split], position[(split + 1)..]);
        return (key.Length == 0 ? null : key, version.Length == 0 ? null : version);
    }

    private static string Encode(int store, string? position) => $"{store.ToString(CultureInfo.InvariantCulture)}\t{position}";

    private static (int Store, string? Position) Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return (0, null);
        }

        var tab = cursor.IndexOf('\t', StringComparison.Ordinal);
        return tab > 0 && int.TryParse(cursor[..tab], NumberStyles.None, CultureInfo.InvariantCulture, out var store)
            ? (store, cursor.Length > tab + 1 ? cursor[(tab + 1)..] : null)
            : throw new FormatException("Not a tenant purge cursor.");
    }
}
