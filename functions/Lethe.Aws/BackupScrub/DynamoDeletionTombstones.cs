using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Erasure;
using Lethe.Aws.Records;
using Lethe.Catalog;
using Lethe.Domain.BackupScrub;
using Lethe.Domain.Records;

namespace Lethe.Aws.BackupScrub;

/// <summary>A job's deletion tombstones from the Inventory table's sparse <c>byPurger</c> index (never a scan).</summary>
public sealed class DynamoDeletionTombstones(IAmazonDynamoDB dynamo, string inventoryTable) : IDeletionTombstones
{
    private static readonly string IndexName = ResourceCatalog.Inventory.GlobalIndexes.Single(i => i.Name == "byPurger").Name;

    public async Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> PurgedByAsync(
        string tenantId, string jobId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var partition = DynamoErasureInventory.PurgerPartition(tenantId, jobId);
        var response = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = inventoryTable,
            IndexName = IndexName,
            KeyConditionExpression = "purgerPk = :p",
            ExpressionAttributeValues = new() { [":p"] = new() { S = partition } },
            Limit = limit,
            ExclusiveStartKey = cursor is null ? null : StartAfter(tenantId, partition, cursor),
        }, cancellationToken);
        var last = response.LastEvaluatedKey is { Count: > 0 } key ? key : null;
        var next = last is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(last["purgerSk"].S));
        return (response.Items.Select(InventoryItems.FromItem).ToList(), next);
    }

    /// <summary>The index position after an item id (the cursor names only the id; the tenant and job come from the caller).</summary>
    private static Dictionary<string, AttributeValue> StartAfter(string tenantId, string partition, string cursor)
    {
        var itemId = DynamoPaging.DecodeCursorText(cursor);
        var key = DynamoKeys.Of(tenantId, $"ITEM#{itemId}");
        key["purgerPk"] = new() { S = partition };
        key["purgerSk"] = new() { S = itemId };
        return key;
    }
}
