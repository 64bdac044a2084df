using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Records;
using Lethe.Domain;

namespace Lethe.Aws.Records;

/// <summary>A stored file of a subject: its inventory item and where its versions live.</summary>
public sealed record StoredFile(string ItemId, string Bucket, string Key, string VersionId);

/// <summary>
/// Files of a subject in the versioned data bucket, SSE-KMS under the tenant key: <c>{tenant}/{subjectRef}/{itemId}/{fileName}</c>
/// (no subject id in the key), registered in the inventory (kind <c>file</c>) on first write. Writing the same item again adds a
/// version; erasure deletes every one of them.
/// </summary>
public sealed class S3SubjectFiles(IAmazonS3 s3, IAmazonDynamoDB dynamo, string dataBucket, string inventoryTable, TimeProvider clock)
{
    /// <param name="retainUntil">When the file's retention ends: the item is placed in the <c>byExpiry</c> index for the retention sweep.</param>
    public async Task<StoredFile> PutAsync(
        string tenantId, string tenantKeyArn, string subjectRef, string itemId, string fileName, string category, byte[] content, string contentType,
        CancellationToken cancellationToken, DateTimeOffset? retainUntil = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        var key = $"{tenantId}/{subjectRef}/{itemId}/{fileName}";
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = dataBucket,
            Key = key,
            InputStream = new MemoryStream(content),
            ContentType = contentType,
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = tenantKeyArn,
            TagSet = [new Amazon.S3.Model.Tag { Key = "lethe:tenant", Value = tenantId }],
        }, cancellationToken);
        var now = clock.GetUtcNow();
        var item = DynamoKeys.Of(tenantId, $"ITEM#{itemId}");
        item["itemId"] = new() { S = itemId };
        item["kind"] = new() { S = "file" };
        item["tenantId"] = new() { S = tenantId };
        item["subjectRef"] = new() { S = subjectRef };
        item["category"] = new() { S = category };
        item["state"] = new() { S = ItemStates.Name(ItemState.Active) };
        item["classification"] = new() { S = "confidential" };
        item["fileName"] = new() { S = fileName };
        item["sizeBytes"] = new() { N = content.LongLength.ToString(CultureInfo.InvariantCulture) };
        item["location"] = new()
        {
            M = new Dictionary<string, AttributeValue>
            {
                ["store"] = new() { S = "s3" },
                ["bucket"] = new() { S = ResourceCatalog.Data.LogicalName },
                ["key"] = new() { S = key },
            },
        };
        item["subjectPk"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subjectRef) };
        item["subjectSk"] = new() { S = $"{Timestamps.Format(now)}#{itemId}" };
        if (retainUntil is { } until)
        {
            DynamoRecordStore.AddExpiry(item, tenantId, itemId, until);
        }
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest { TableName = inventoryTable, Item = item, ConditionExpression = "attribute_not_exists(pk)" }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // A new version of a known file: the inventory item already points at every version.
        }

        return new StoredFile(itemId, dataBucket, key, put.VersionId);
    }
}
