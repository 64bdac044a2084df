using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Aws.Records;
using Lethe.Domain.Exports;
using Lethe.Domain.Records;
using Lethe.Domain;

namespace Lethe.Aws.Exports;

/// <summary>Export volumes in the inventory (kind <c>export</c>, in the exports bucket), so erasure finds and purges them.</summary>
public sealed class DynamoExportVolumes(IAmazonDynamoDB dynamo, string inventoryTable, Jobs.ErasureLocks locks) : IExportVolumeRegistry
{
    public async Task RegisterAsync(string tenantId, string subjectRef, string jobId, int volume, Lethe.Domain.Exports.ExportFormat format, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var itemId = IExportVolumeRegistry.ItemId(jobId, volume);
        var item = DynamoKeys.Of(tenantId, $"ITEM#{itemId}");
        item["itemId"] = new() { S = itemId };
        item["kind"] = new() { S = "export" };
        item["tenantId"] = new() { S = tenantId };
        item["subjectRef"] = new() { S = subjectRef };
        item["category"] = new() { S = "export" };
        item["state"] = new() { S = ItemStates.Name(ItemState.Active) };
        item["classification"] = new() { S = "confidential" };
        item["location"] = new()
        {
            M = new Dictionary<string, AttributeValue>
            {
                ["store"] = new() { S = "s3" },
                ["bucket"] = new() { S = ResourceCatalog.Exports.LogicalName },
                ["key"] = new() { S = S3ExportStore.KeyFor(tenantId, jobId, volume, format) },
            },
        };
        item["subjectPk"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subjectRef) };
        item["subjectSk"] = new() { S = $"{Timestamps.Format(at)}#{itemId}" };
        try
        {
            await locks.WriteAsync(tenantId, subjectRef,
            [
                locks.AbsentCheck(tenantId, subjectRef),
                new TransactWriteItem { Put = new Put { TableName = inventoryTable, Item = item, ConditionExpression = "attribute_not_exists(pk)" } },
            ], lockIndex: 0, cancellationToken);
        }
        catch (TransactionCanceledException ex) when (Jobs.ErasureLocks.IsConditionFailure(ex, 1))
        {
            // Registered by the first run of this step.
        }
    }

    public async Task<ItemState?> StateAsync(string tenantId, string jobId, int volume, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = inventoryTable,
            Key = DynamoKeys.Of(tenantId, $"ITEM#{IExportVolumeRegistry.ItemId(jobId, volume)}"),
            ProjectionExpression = "#state",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ConsistentRead = true,
        }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? ItemStates.Parse(item["state"].S) : null;
    }

    public async Task<bool> IsAvailableAsync(string tenantId, string jobId, int volume, CancellationToken cancellationToken) =>
        // Audit exports name no subject and are not in the inventory: nothing erases them.
        await StateAsync(tenantId, jobId, volume, cancellationToken) is null or ItemState.Active;
}
