using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Erasure;
using Lethe.Domain.Records;
using Lethe.Domain.Replay;

namespace Lethe.Aws.Replay;

/// <summary>
/// Deletes again what tombstones say was purged, through the purge's own deletion (<see cref="StorePurger"/>), and tells what
/// was actually back: a table item (or a history row of it) found by a consistent read, an object with any version left.
/// </summary>
public sealed class DynamoReplayPurger(IAmazonDynamoDB dynamo, StorePurger purger, Func<string, string> tableName) : IReplayPurger
{
    public async Task<ReplayOutcome> RemoveAgainAsync(string tenantId, IReadOnlyList<InventoryItem> tombstones, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tombstones);
        var back = new List<InventoryItem>();
        foreach (var item in tombstones.Where(t => t.Store == "dynamodb"))
        {
            if (await IsBackAsync(tenantId, item, cancellationToken))
            {
                back.Add(item);
            }
        }

        // Objects: deleting every version left is the check itself (a version deleted is a version that was back).
        var objects = tombstones.Where(t => t.Store == "s3").ToList();
        var outcomes = await purger.PurgeAsync(tenantId, [.. back, .. objects], cancellationToken);
        var failed = outcomes.Where(o => o.Failure is not null).Select(o => (o.ItemId, o.Failure!)).ToList();
        var failedIds = failed.Select(f => f.ItemId).ToHashSet(StringComparer.Ordinal);
        var removed = back.Where(i => !failedIds.Contains(i.ItemId)).Select(i => (i.ItemId, Store: "dynamodb"))
            .Concat(outcomes.Where(o => o.Failure is null && o.Versions > 0 && objects.Any(i => i.ItemId == o.ItemId)).Select(o => (o.ItemId, Store: "s3")))
            .ToList();
        return new ReplayOutcome(
            removed.Select(r => r.ItemId).ToList(),
            removed.GroupBy(r => r.Store).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal),
            outcomes.Where(o => objects.Any(i => i.ItemId == o.ItemId)).Sum(o => o.Versions),
            failed);
    }

    /// <summary>Whether the item's row (or any row of its history) is in its table again.</summary>
    private async Task<bool> IsBackAsync(string tenantId, InventoryItem item, CancellationToken cancellationToken)
    {
        if (!item.Location.TryGetValue("table", out var logical) || !item.Location.TryGetValue("key", out var key))
        {
            return false;
        }

        var table = tableName(logical);
        var row = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = DynamoKeys.Of(tenantId, key), ConsistentRead = true, ProjectionExpression = "pk" }, cancellationToken);
        if (row.IsItemSet && row.Item is { Count: > 0 })
        {
            return true;
        }

        if (!item.Location.TryGetValue("historyPrefix", out var prefix))
        {
            return false;
        }

        var history = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "pk = :p AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new() { [":p"] = new() { S = DynamoKeys.TenantPartition(tenantId) }, [":prefix"] = new() { S = prefix } },
            ProjectionExpression = "pk",
            ConsistentRead = true,
            Limit = 1,
        }, cancellationToken);
        return history.Items.Count > 0;
    }
}
