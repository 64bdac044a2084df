using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Erasure;
using Lethe.Domain;
using Lethe.Domain.Erasure;
using Lethe.Domain.Records;
using Lethe.Domain.Replay;

namespace Lethe.Aws.Replay;

/// <summary>
/// Deletes again what tombstones say was purged and a restore brought back. Each tombstone is read again consistently (the
/// index may lag, and newer data may have taken its key over: a consent granted again starts afresh on its item); a table row
/// found back is deleted in a transaction that checks the tombstone still names this purge, with its history rows written up
/// to the purge (rows are keyed by time after the prefix: <c>CONSENTLOG#{ref}#{time}#…</c>), never later ones. Objects go
/// through the purge's own deletion: every version left (object keys are never reused).
/// </summary>
public sealed class DynamoReplayPurger(IAmazonDynamoDB dynamo, IErasureInventory inventory, string inventoryTable, StorePurger purger, Func<string, string> tableName) : IReplayPurger
{
    public async Task<ReplayOutcome> RemoveAgainAsync(string tenantId, string sourceJobId, IReadOnlyList<InventoryItem> tombstones, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tombstones);
        var current = await inventory.CurrentAsync(tenantId, tombstones.Select(t => t.ItemId).ToList(), cancellationToken);
        var still = current.Where(c => c.State == ItemState.Purged && c.PurgedBy == sourceJobId).ToList();
        var removed = new List<(string ItemId, string Store)>();
        var failed = new List<(string ItemId, string Failure)>();
        foreach (var item in still.Where(t => t.Store == "dynamodb"))
        {
            try
            {
                if (await RemoveRowsAgainAsync(tenantId, sourceJobId, item, cancellationToken))
                {
                    removed.Add((item.ItemId, "dynamodb"));
                }
            }
            catch (AmazonDynamoDBException ex) when (ex is not TransactionCanceledException)
            {
                failed.Add((item.ItemId, $"{ex.ErrorCode}: {ex.Message}"));
            }
        }

        var objects = still.Where(t => t.Store == "s3").ToList();
        long versions = 0;
        if (objects.Count > 0)
        {
            foreach (var outcome in await purger.PurgeAsync(tenantId, objects, cancellationToken))
            {
                if (outcome.Failure is { } failure)
                {
                    failed.Add((outcome.ItemId, failure));
                }
                else if (outcome.Versions > 0)
                {
                    // A version deleted is a version that was back.
                    removed.Add((outcome.ItemId, "s3"));
                    versions += outcome.Versions;
                }
            }
        }

        return new ReplayOutcome(
            removed.Select(r => r.ItemId).ToList(),
            removed.GroupBy(r => r.Store).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal),
            versions,
            failed);
    }

    /// <summary>Deletes the item's row (if it is back) and its history rows from before the purge; true when anything was back.</summary>
    private async Task<bool> RemoveRowsAgainAsync(string tenantId, string sourceJobId, InventoryItem item, CancellationToken cancellationToken)
    {
        if (!item.Location.TryGetValue("table", out var logical) || !item.Location.TryGetValue("key", out var key))
        {
            return false;
        }

        var table = tableName(logical);
        var back = false;
        var row = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = DynamoKeys.Of(tenantId, key), ConsistentRead = true, ProjectionExpression = "pk" }, cancellationToken);
        if (row.IsItemSet && row.Item is { Count: > 0 })
        {
            try
            {
                await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
                {
                    TransactItems =
                    [
                        new() { ConditionCheck = new ConditionCheck
                        {
                            TableName = inventoryTable,
                            Key = DynamoKeys.Of(tenantId, $"ITEM#{item.ItemId}"),
                            ConditionExpression = "#state = :purged AND purgedBy = :job",
                            ExpressionAttributeNames = new() { ["#state"] = "state" },
                            ExpressionAttributeValues = new() { [":purged"] = new() { S = ItemStates.Name(ItemState.Purged) }, [":job"] = new() { S = sourceJobId } },
                        } },
                        new() { Delete = new Delete { TableName = table, Key = DynamoKeys.Of(tenantId, key) } },
                    ],
                }, cancellationToken);
                back = true;
            }
            catch (TransactionCanceledException ex) when (ex.CancellationReasons?.FirstOrDefault()?.Code == "ConditionalCheckFailed")
            {
                // Taken over by newer data meanwhile: that row is live, and stays.
                return false;
            }
        }

        if (item.Location.TryGetValue("historyPrefix", out var prefix) && item.PurgedAt is { } purgedAt)
        {
            var history = await HistoryUpToAsync(table, tenantId, prefix, purgedAt, cancellationToken);
            foreach (var batch in history.Chunk(StorePurger.BatchWriteLimit))
            {
                var pending = new Dictionary<string, List<WriteRequest>>
                {
                    [table] = batch.Select(sk => new WriteRequest { DeleteRequest = new DeleteRequest { Key = DynamoKeys.Of(tenantId, sk) } }).ToList(),
                };
                for (var attempt = 0; pending.Count > 0; attempt++)
                {
                    if (attempt >= 8)
                    {
                        throw new Domain.Errors.TransientException("DynamoDB left history deletes unprocessed.");
                    }

                    var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellationToken);
                    pending = response.UnprocessedItems is { Count: > 0 } left ? left : [];
                }
            }

            back |= history.Count > 0;
        }

        return back;
    }

    /// <summary>History rows under the prefix written up to <paramref name="until"/> (their sort keys carry the time right after it).</summary>
    private async Task<List<string>> HistoryUpToAsync(string table, string tenantId, string prefix, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "pk = :p AND sk BETWEEN :from AND :to",
                ExpressionAttributeValues = new()
                {
                    [":p"] = new() { S = DynamoKeys.TenantPartition(tenantId) },
                    [":from"] = new() { S = prefix },
                    // '~' sorts after every character of the rest of the key: every row stamped at or before the purge.
                    [":to"] = new() { S = $"{prefix}{Timestamps.Format(until)}~" },
                },
                ProjectionExpression = "sk",
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken);
            keys.AddRange(page.Items.Select(i => i["sk"].S));
            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);

        return keys;
    }
}
