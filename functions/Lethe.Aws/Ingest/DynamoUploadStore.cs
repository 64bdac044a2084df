using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Jobs;
using Lethe.Aws.Records;
using Lethe.Catalog;
using Lethe.Domain;
using Lethe.Domain.Ingest;
using Lethe.Domain.Records;

namespace Lethe.Aws.Ingest;

/// <summary>
/// Uploads in the Records table (<c>TENANT#t</c> / <c>UPLOAD#id</c>), each with an inventory item of its subject (kind
/// <c>upload</c>) written in the same transaction as the erasure lock's check, and a second item for the object the client may put
/// into the ingest bucket: an erasure purges the row (the file name with it) and deletes the object like any other items, and a
/// read of an upload whose item is no longer active finds nothing.
/// </summary>
public sealed class DynamoUploadStore(IAmazonDynamoDB dynamo, string recordsTable, string inventoryTable, ErasureLocks locks) : IUploadStore
{
    public const string Kind = "upload";

    public async Task CreateAsync(Upload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var row = DynamoKeys.Of(upload.TenantId, SortKey(upload.Id));
        row["uploadId"] = new() { S = upload.Id };
        row["subjectRef"] = new() { S = upload.SubjectRef };
        row["category"] = new() { S = upload.Declared.Category };
        row["fileName"] = new() { S = upload.Declared.FileName };
        row["contentType"] = new() { S = upload.Declared.ContentType };
        row["sizeBytes"] = new() { N = upload.Declared.SizeBytes.ToString(CultureInfo.InvariantCulture) };
        row["status"] = new() { S = UploadStatuses.Name(upload.Status) };
        row["restricted"] = new() { BOOL = upload.Restricted };
        row["createdAt"] = new() { S = Timestamps.Format(upload.CreatedAt) };
        row["updatedAt"] = new() { S = Timestamps.Format(upload.CreatedAt) };
        row["expiresAt"] = new() { S = Timestamps.Format(upload.ExpiresAt) };
        row["createdBy"] = new() { S = upload.CreatedBy };
        if (upload.SealedSubjectId is { } sealedId)
        {
            row["sealedSubjectId"] = new() { B = new MemoryStream(sealedId) };
        }

        var item = DynamoKeys.Of(upload.TenantId, $"ITEM#{ItemId(upload.Id)}");
        item["itemId"] = new() { S = ItemId(upload.Id) };
        item["kind"] = new() { S = Kind };
        item["tenantId"] = new() { S = upload.TenantId };
        item["subjectRef"] = new() { S = upload.SubjectRef };
        item["category"] = new() { S = upload.Declared.Category };
        item["state"] = new() { S = ItemStates.Name(ItemState.Active) };
        item["classification"] = new() { S = "confidential" };
        item["visibility"] = new() { S = "staff_only" };
        item["createdAt"] = new() { S = Timestamps.Format(upload.CreatedAt) };
        item["location"] = new()
        {
            M = new Dictionary<string, AttributeValue>
            {
                ["store"] = new() { S = "dynamodb" },
                ["table"] = new() { S = ResourceCatalog.Records.LogicalName },
                ["key"] = new() { S = SortKey(upload.Id) },
            },
        };
        item["subjectPk"] = new() { S = DynamoRecordStore.SubjectPartition(upload.TenantId, upload.SubjectRef) };
        item["subjectSk"] = new() { S = $"upload#{Timestamps.Format(upload.CreatedAt)}#{upload.Id}" };
        // The object the client may put: an item of the subject from the start, so an erasure deletes it wherever the upload is.
        var objectItem = new Dictionary<string, AttributeValue>(item)
        {
            ["sk"] = new() { S = $"ITEM#{ObjectItemId(upload.Id)}" },
            ["itemId"] = new() { S = ObjectItemId(upload.Id) },
            ["location"] = new()
            {
                M = new Dictionary<string, AttributeValue>
                {
                    ["store"] = new() { S = "s3" },
                    ["bucket"] = new() { S = ResourceCatalog.Ingest.LogicalName },
                    ["key"] = new() { S = UploadRules.ObjectKey(upload.TenantId, upload.Id) },
                },
            },
            ["subjectSk"] = new() { S = $"upload#{Timestamps.Format(upload.CreatedAt)}#{upload.Id}#object" },
        };
        await locks.WriteAsync(upload.TenantId, upload.SubjectRef,
        [
            locks.AbsentCheck(upload.TenantId, upload.SubjectRef),
            new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = row, ConditionExpression = "attribute_not_exists(pk)" } },
            new TransactWriteItem { Put = new Put { TableName = inventoryTable, Item = item, ConditionExpression = "attribute_not_exists(pk)" } },
            new TransactWriteItem { Put = new Put { TableName = inventoryTable, Item = objectItem, ConditionExpression = "attribute_not_exists(pk)" } },
        ], lockIndex: 0, cancellationToken);
    }

    public async Task<Upload?> FindAsync(string tenantId, string uploadId, CancellationToken cancellationToken)
    {
        var rows = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
        {
            RequestItems = new Dictionary<string, KeysAndAttributes>
            {
                [recordsTable] = new() { Keys = [DynamoKeys.Of(tenantId, SortKey(uploadId))], ConsistentRead = true },
                [inventoryTable] = new() { Keys = [DynamoKeys.Of(tenantId, $"ITEM#{ItemId(uploadId)}")], ConsistentRead = true },
            },
        }, cancellationToken);
        var row = rows.Responses.GetValueOrDefault(recordsTable)?.FirstOrDefault();
        var item = rows.Responses.GetValueOrDefault(inventoryTable)?.FirstOrDefault();
        return row is null || item is null || item["state"].S != ItemStates.Name(ItemState.Active) ? null : FromRow(tenantId, uploadId, row);
    }

    public async Task<IReadOnlyList<Upload>> ListAbandonedAsync(string tenantId, DateTimeOffset expiredBefore, int limit, CancellationToken cancellationToken)
    {
        var rows = await dynamo.QueryUpToAsync(new QueryRequest
        {
            TableName = recordsTable,
            KeyConditionExpression = "pk = :p AND begins_with(sk, :prefix)",
            FilterExpression = "#status = :pending AND expiresAt < :before",
            ExpressionAttributeNames = new() { ["#status"] = "status" },
            ExpressionAttributeValues = new()
            {
                [":p"] = new() { S = DynamoKeys.TenantPartition(tenantId) },
                [":prefix"] = new() { S = "UPLOAD#" },
                [":pending"] = new() { S = UploadStatuses.Name(UploadStatus.Pending) },
                [":before"] = new() { S = Timestamps.Format(expiredBefore) },
            },
            ConsistentRead = true,
        }, limit, cancellationToken);
        return [.. rows.Select(row => FromRow(tenantId, row["uploadId"].S, row))];
    }

    private static Upload FromRow(string tenantId, string uploadId, Dictionary<string, AttributeValue> row)
    {
        var declared = new UploadRequest(string.Empty, row["category"].S, row["fileName"].S, row["contentType"].S, long.Parse(row["sizeBytes"].N, CultureInfo.InvariantCulture));
        return new Upload(uploadId, tenantId, row["subjectRef"].S, declared, Parse(row["status"].S), Timestamps.Parse(row["createdAt"].S),
            Timestamps.Parse(row["expiresAt"].S), row["createdBy"].S)
        {
            Restricted = row.GetValueOrDefault("restricted")?.BOOL == true,
            ItemId = row.GetValueOrDefault("itemId")?.S,
            JobId = row.GetValueOrDefault("jobId")?.S,
            ScannedETag = row.GetValueOrDefault("scannedEtag")?.S,
            SealedSubjectId = row.GetValueOrDefault("sealedSubjectId")?.B?.ToArray(),
            Reason = row.GetValueOrDefault("reason")?.S,
            UpdatedAt = Timestamps.Parse(row["updatedAt"].S),
        };
    }

    public async Task<bool> TryMoveAsync(string tenantId, string uploadId, UploadMove move, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(move);
        var values = new Dictionary<string, AttributeValue>
        {
            [":to"] = new() { S = UploadStatuses.Name(move.To) },
            [":at"] = new() { S = Timestamps.Format(move.At) },
            [":active"] = new() { S = ItemStates.Name(ItemState.Active) },
        };
        var from = new List<string>();
        for (var i = 0; i < move.From.Count; i++)
        {
            values[$":f{i}"] = new() { S = UploadStatuses.Name(move.From[i]) };
            from.Add($":f{i}");
        }

        var set = "#status = :to, updatedAt = :at";
        foreach (var (name, value) in new[] { ("reason", move.Reason), ("jobId", move.JobId), ("itemId", move.ItemId), ("scannedEtag", move.ScannedETag) })
        {
            if (value is not null)
            {
                set += $", {name} = :{name}";
                values[$":{name}"] = new() { S = value };
            }
        }

        var actions = new List<TransactWriteItem>
        {
            new()
            {
                Update = new Update
                {
                    TableName = recordsTable,
                    Key = DynamoKeys.Of(tenantId, SortKey(uploadId)),
                    UpdateExpression = $"SET {set}",
                    ConditionExpression = $"attribute_exists(pk) AND #status IN ({string.Join(", ", from)})",
                    ExpressionAttributeNames = new() { ["#status"] = "status" },
                    ExpressionAttributeValues = values.Where(v => v.Key != ":active").ToDictionary(),
                },
            },
            // An erasure that hid the upload meanwhile wins: nothing moves for a subject being erased.
            new()
            {
                ConditionCheck = new ConditionCheck
                {
                    TableName = inventoryTable,
                    Key = DynamoKeys.Of(tenantId, $"ITEM#{ItemId(uploadId)}"),
                    ConditionExpression = "#state = :active",
                    ExpressionAttributeNames = new() { ["#state"] = "state" },
                    ExpressionAttributeValues = new() { [":active"] = values[":active"] },
                },
            },
        };
        if (move.ObjectQuarantined)
        {
            // The object item follows the object into the quarantine bucket, so an erasure deletes it there.
            actions.Add(new()
            {
                Update = new Update
                {
                    TableName = inventoryTable,
                    Key = DynamoKeys.Of(tenantId, $"ITEM#{ObjectItemId(uploadId)}"),
                    UpdateExpression = "SET #location.#bucket = :bucket",
                    ConditionExpression = "attribute_exists(pk)",
                    ExpressionAttributeNames = new() { ["#location"] = "location", ["#bucket"] = "bucket" },
                    ExpressionAttributeValues = new() { [":bucket"] = new() { S = ResourceCatalog.Quarantine.LogicalName } },
                },
            });
        }

        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = actions }, cancellationToken);
            return true;
        }
        catch (TransactionCanceledException ex) when (ex.CancellationReasons?.Any(r => r.Code == "ConditionalCheckFailed") == true)
        {
            return false;
        }
    }

    public static string ItemId(string uploadId) => UploadItems.ItemId(uploadId);

    public static string ObjectItemId(string uploadId) => UploadItems.ObjectItemId(uploadId);

    private static string SortKey(string uploadId) => $"UPLOAD#{uploadId}";

    private static UploadStatus Parse(string name) =>
        Enum.GetValues<UploadStatus>().First(s => UploadStatuses.Name(s) == name);
}
