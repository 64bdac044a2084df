using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Records;

namespace Lethe.Aws.Records;

/// <summary>
/// What the consent and restriction stores share: a subject's state kept as one current row and time-keyed history rows in the
/// Records table, with one inventory item that points at both (so an erasure purges the rows and the backup replay finds them).
/// </summary>
internal static class SubjectStateRows
{
    /// <summary>The inventory item of a state row: active, confidential, located at <paramref name="key"/> and its history.</summary>
    public static Dictionary<string, AttributeValue> InventoryItem(
        string tenantId, string subjectRef, string itemId, string kind, string key, string historyPrefix, string subjectSortKey)
    {
        var inventory = DynamoKeys.Of(tenantId, $"ITEM#{itemId}");
        inventory["itemId"] = new() { S = itemId };
        inventory["kind"] = new() { S = kind };
        inventory["tenantId"] = new() { S = tenantId };
        inventory["subjectRef"] = new() { S = subjectRef };
        inventory["category"] = new() { S = kind };
        inventory["state"] = new() { S = ItemStates.Name(ItemState.Active) };
        inventory["classification"] = new() { S = "confidential" };
        inventory["visibility"] = new() { S = "shared" };
        inventory["location"] = new()
        {
            M = new Dictionary<string, AttributeValue>
            {
                ["store"] = new() { S = "dynamodb" },
                ["table"] = new() { S = ResourceCatalog.Records.LogicalName },
                ["key"] = new() { S = key },
                ["historyPrefix"] = new() { S = historyPrefix },
            },
        };
        inventory["subjectPk"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subjectRef) };
        inventory["subjectSk"] = new() { S = subjectSortKey };
        return inventory;
    }

    /// <summary>The inventory put of a state change: a new or purged item starts afresh, a soft-deleted one is never revived.</summary>
    public static TransactWriteItem PutUnlessSoftDeleted(string inventoryTable, Dictionary<string, AttributeValue> item) => new()
    {
        Put = new Put
        {
            TableName = inventoryTable,
            Item = item,
            ConditionExpression = "attribute_not_exists(pk) OR #state IN (:active, :purged)",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new()
            {
                [":active"] = new() { S = ItemStates.Name(ItemState.Active) },
                [":purged"] = new() { S = ItemStates.Name(ItemState.Purged) },
            },
        },
    };

    /// <summary>Every row of the tenant whose sort key starts with <paramref name="prefix"/>, read consistently, in key order.</summary>
    public static Task<List<Dictionary<string, AttributeValue>>> QueryAsync(
        IAmazonDynamoDB dynamo, string table, string tenantId, string prefix, CancellationToken cancellationToken) =>
        dynamo.QueryPrefixAsync(table, tenantId, prefix, cancellationToken);
}
