using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Delete = Amazon.DynamoDBv2.Model.Delete;
using Lethe.Aws.Catalog;
using Lethe.Aws.Records;
using Lethe.Domain;
using Lethe.Domain.Archive;
using Lethe.Domain.Crypto;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Aws.Retention;

/// <summary>
/// Archive retrieval in S3 and DynamoDB: RestoreObject on the item's archived object (its own version for records, the current
/// one for files), HeadObject to see the restore done, and the readable window on the item (<c>retrievedUntil</c>,
/// <c>retrievedBy</c>) written in one transaction with a record's copy put back into the Records table.
/// </summary>
public sealed class S3ArchiveRestorer(IAmazonS3 s3, IAmazonDynamoDB dynamo, string inventoryTable, string recordsTable, Func<string, string> bucketName) : IArchiveRestorer
{
    public async Task RequestRestoreAsync(Tenant tenant, InventoryItem item, string tier, TimeSpan keepFor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var head = await HeadAsync(item, cancellationToken);
        if (!IsArchiveClass(head) || head.RestoreExpiration is not null || head.RestoreInProgress == true)
        {
            // Not (yet) in an archive class (a file waiting for the lifecycle rule): readable as it is. Restored or restoring
            // already (a replay): nothing to ask again.
            return;
        }

        try
        {
            await s3.RestoreObjectAsync(new RestoreObjectRequest
            {
                BucketName = Bucket(item),
                Key = item.Location["key"],
                VersionId = item.Location.GetValueOrDefault("versionId"),
                // One day more than the window: the copy must outlast the poll that finds it and the window after it.
                Days = Math.Max(1, (int)Math.Ceiling(keepFor.TotalDays)) + 1,
                Tier = tier == "Bulk" ? GlacierJobTier.Bulk : GlacierJobTier.Standard,
            }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "RestoreAlreadyInProgress")
        {
            // Asked already (a replay after S3 took the first request): the restore goes on.
        }
    }

    public async Task<bool> IsRestoredAsync(InventoryItem item, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(item, cancellationToken);
        return !IsArchiveClass(head) || (head.RestoreInProgress != true && head.RestoreExpiration is not null);
    }

    public async Task<bool> MakeReadableAsync(Tenant tenant, InventoryItem item, string jobId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(item);
        var actions = new List<TransactWriteItem>
        {
            new() { Update = new Update
            {
                TableName = inventoryTable,
                Key = DynamoKeys.Of(tenant.Id, $"ITEM#{item.ItemId}"),
                UpdateExpression = "SET retrievedUntil = :until, retrievedBy = :job",
                ConditionExpression = "#state = :archived",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new()
                {
                    [":until"] = new() { S = Timestamps.Format(until) },
                    [":job"] = new() { S = jobId },
                    [":archived"] = new() { S = ItemStates.Name(ItemState.Archived) },
                },
            } },
        };
        if (item.Kind == "record")
        {
            var record = await ArchivedRecordAsync(tenant.Id, item, cancellationToken);
            actions.Add(new() { Put = new Put { TableName = recordsTable, Item = DynamoRecordStore.RecordItem(record.ToStored(tenant.Id, item.SubjectRef!, item.Category) with { ReadableUntil = until }) } });
        }

        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = actions }, cancellationToken);
            return true;
        }
        catch (TransactionCanceledException ex) when (ex.CancellationReasons is { Count: > 0 } reasons && reasons[0].Code == "ConditionalCheckFailed")
        {
            return false;
        }
    }

    public async Task RearchiveAsync(string tenantId, InventoryItem item, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var actions = new List<TransactWriteItem>
        {
            new() { Update = new Update
            {
                TableName = inventoryTable,
                Key = DynamoKeys.Of(tenantId, $"ITEM#{item.ItemId}"),
                UpdateExpression = "REMOVE retrievedUntil, retrievedBy",
                ConditionExpression = "retrievedBy = :job",
                ExpressionAttributeValues = new() { [":job"] = new() { S = jobId } },
            } },
        };
        if (RowOf(item) is { } row)
        {
            actions.Add(new() { Delete = new Delete { TableName = recordsTable, Key = DynamoKeys.Of(tenantId, row) } });
        }

        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = actions }, cancellationToken);
        }
        catch (TransactionCanceledException ex) when (ex.CancellationReasons is { Count: > 0 } reasons && reasons[0].Code == "ConditionalCheckFailed")
        {
            // Not this retrieval's any more (hidden or purged meanwhile, or a replay after the first went through): the copy
            // must not stay readable either way.
            if (RowOf(item) is { } left)
            {
                await dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = recordsTable, Key = DynamoKeys.Of(tenantId, left) }, cancellationToken);
            }
        }
    }

    /// <summary>The Records table key of an archived record's readable copy.</summary>
    private static string? RowOf(InventoryItem item) => item.Kind == "record" ? item.Location.GetValueOrDefault("row") : null;

    /// <summary>
    /// The item's record from its archived object: the object must be the item's own (tenant, subject, category), and its entry
    /// opens only with the key the item holds (gone once the item is purged).
    /// </summary>
    private async Task<ArchivedRecord> ArchivedRecordAsync(string tenantId, InventoryItem item, CancellationToken cancellationToken)
    {
        var holder = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = inventoryTable,
            Key = DynamoKeys.Of(tenantId, $"ITEM#{item.ItemId}"),
            ProjectionExpression = "archiveKey",
            ConsistentRead = true,
        }, cancellationToken);
        var entryKey = holder.Item is { } found && found.TryGetValue("archiveKey", out var k) && k.B is { } bytes
            ? bytes.ToArray()
            : throw new InvalidDataException($"Item {item.ItemId} holds no archive key: its archived record cannot be opened.");
        using var response = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = Bucket(item),
            Key = item.Location["key"],
            VersionId = item.Location.GetValueOrDefault("versionId"),
        }, cancellationToken);
        var document = await JsonSerializer.DeserializeAsync(response.ResponseStream, AwsJsonContext.Default.ArchivedRecordObject, cancellationToken)
            ?? throw new InvalidDataException($"The archived object of item {item.ItemId} is empty.");
        if (document.TenantId != tenantId || document.SubjectRef != item.SubjectRef || document.Category != item.Category)
        {
            throw new InvalidDataException($"The archived object named by item {item.ItemId} belongs to another tenant, subject or category.");
        }

        var entry = document.Entries.SingleOrDefault(e => e.Id == item.ItemId)
            ?? throw new InvalidDataException($"The archived object of item {item.ItemId} does not hold it.");
        var opened = ArchiveEntry.Open(Convert.FromBase64String(entry.Sealed), entryKey, tenantId, item.SubjectRef!, item.ItemId);
        return JsonSerializer.Deserialize(opened, AwsJsonContext.Default.ArchivedRecord)
            ?? throw new InvalidDataException($"The archived entry of item {item.ItemId} is empty.");
    }

    private Task<GetObjectMetadataResponse> HeadAsync(InventoryItem item, CancellationToken cancellationToken) =>
        s3.GetObjectMetadataAsync(new GetObjectMetadataRequest
        {
            BucketName = Bucket(item),
            Key = item.Location["key"],
            VersionId = item.Location.GetValueOrDefault("versionId"),
        }, cancellationToken);

    private string Bucket(InventoryItem item) => bucketName(item.Location["bucket"]);

    private static bool IsArchiveClass(GetObjectMetadataResponse head) =>
        head.StorageClass == S3StorageClass.Glacier || head.StorageClass == S3StorageClass.DeepArchive;
}
