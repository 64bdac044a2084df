using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Records;
using Lethe.Domain;

namespace Lethe.Aws.Records;

/// <summary>Reads the Inventory table: a tenant's items, or one subject's through <c>bySubject</c>, optionally by state.</summary>
public sealed class DynamoInventory(IAmazonDynamoDB dynamo, string inventoryTable) : IInventory
{
    public async Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> ListAsync(
        string tenantId, string? subjectRef, ItemState? state, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var bySubject = subjectRef is not null;
        var values = new Dictionary<string, AttributeValue>();
        var names = new Dictionary<string, string>();
        string keyCondition;
        if (bySubject)
        {
            keyCondition = "subjectPk = :p";
            values[":p"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subjectRef!) };
        }
        else
        {
            keyCondition = "pk = :p AND begins_with(sk, :item)";
            values[":p"] = new() { S = $"TENANT#{tenantId}" };
            values[":item"] = new() { S = "ITEM#" };
        }

        string? filter = null;
        if (state is { } wanted)
        {
            filter = "#state = :state";
            names["#state"] = "state";
            values[":state"] = new() { S = ItemStates.Name(wanted) };
        }

        var page = await dynamo.QueryUpToAsync(new QueryRequest
        {
            TableName = inventoryTable,
            IndexName = bySubject ? ResourceCatalog.Inventory.GlobalIndexes[0].Name : null,
            KeyConditionExpression = keyCondition,
            FilterExpression = filter,
            ExpressionAttributeNames = names.Count > 0 ? names : null,
            ExpressionAttributeValues = values,
            ExclusiveStartKey = Decode(cursor, tenantId, subjectRef),
        }, limit, cancellationToken);
        var items = page.Select(InventoryItems.FromItem).ToList();
        var last = page.Count > 0 ? page[^1] : null;
        var next = items.Count == limit && last is not null
            ? Convert.ToBase64String(Encoding.UTF8.GetBytes(bySubject ? $"{last["subjectSk"].S}|{last["sk"].S}" : last["sk"].S))
            : null;
        return (items, next);
    }

    /// <summary>Only positions travel in cursors; tenant and subject always come from the request.</summary>
    private static Dictionary<string, AttributeValue>? Decode(string? cursor, string tenantId, string? subjectRef)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        var text = DynamoPaging.DecodeCursorText(cursor);

        var parts = text.Split('|');
        var sk = parts[^1];
        if (!sk.StartsWith("ITEM#", StringComparison.Ordinal) || (subjectRef is null ? parts.Length != 1 : parts.Length != 2))
        {
            throw new InvalidCursorException();
        }

        var key = new Dictionary<string, AttributeValue>
        {
            [ResourceCatalog.PartitionKeyName] = new() { S = $"TENANT#{tenantId}" },
            [ResourceCatalog.SortKeyName] = new() { S = sk },
        };
        if (subjectRef is not null)
        {
            key["subjectPk"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subjectRef) };
            key["subjectSk"] = new() { S = parts[0] };
        }

        return key;
    }
}
