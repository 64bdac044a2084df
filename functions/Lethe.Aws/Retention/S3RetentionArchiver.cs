using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Delete = Amazon.DynamoDBv2.Model.Delete;
using Tag = Amazon.S3.Model.Tag;
using Lethe.Aws.Catalog;
using Lethe.Aws.Erasure;
using Lethe.Aws.Records;
using Lethe.Catalog;
using Lethe.Domain;
using Lethe.Domain.Crypto;
using Lethe.Domain.Policies;
using Lethe.Domain.Records;
using Lethe.Domain.Retention;

namespace Lethe.Aws.Retention;

/// <summary>
/// The retention sweep's archive in S3 and DynamoDB. Records: the page's records of one subject and category are written into
/// one new object <c>{tenant}/{subjectRef}/archive/{run}/{attempt}/{category}-{nonce}.json</c> of the tier's storage class,
/// SSE-KMS under the tenant key, each record sealed under a key of its own (<see cref="ArchiveEntry"/>); then each item moves
/// to <c>archived</c>, pointing at that object and holding its record's key, and its row leaves the Records table, in
/// hold-guarded transactions. A record that did not move has its key nowhere: its entry is unreadable, so no copy outlives it,
/// and an object no item moved into is deleted. Files: tagged <c>lethe:tier</c> (the data bucket's lifecycle rule moves them),
/// then moved to <c>archived</c> the same way; a tag whose move did not apply is taken off again. S3 refusing a write fails
/// the batch's items (listed on the run, tried again by the next one), never the page. An archived item waits in the
/// <c>byExpiry</c> index for the end of its archive period.
/// </summary>
public sealed class S3RetentionArchiver(
    IAmazonS3 s3, DynamoRecordStore records, DynamoErasureInventory moves, string inventoryTable, string recordsTable, string dataBucket, bool transitionAtOnce) : IRetentionArchiver
{
    public const string TierTag = "lethe:tier";

    public async Task<ArchiveOutcome> ArchiveAsync(ArchiveBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var archived = new List<string>();
        var failed = new List<(string, string)>();
        if (batch.Items.Where(i => i.Kind == "record").ToList() is { Count: > 0 } recordItems)
        {
            archived.AddRange(await ArchiveRecordsAsync(batch, recordItems, failed, cancellationToken));
        }

        if (batch.Items.Where(i => i.Kind == "file").ToList() is { Count: > 0 } fileItems)
        {
            archived.AddRange(await ArchiveFilesAsync(batch, fileItems, failed, cancellationToken));
        }

        return new ArchiveOutcome(archived, failed);
    }

    private async Task<IReadOnlyCollection<string>> ArchiveRecordsAsync(ArchiveBatch batch, List<InventoryItem> items, List<(string, string)> failed, CancellationToken cancellationToken)
    {
        var tenantId = batch.Tenant.Id;
        var rows = (await records.FindManyAsync(tenantId, items.Select(i => i.ItemId).ToList(), cancellationToken)).Where(r => r.State == ItemState.Active).ToList();
        if (rows.Count == 0)
        {
            return [];
        }

        // A new key every time: a replay never turns an object that items point at into a noncurrent version (which the
        // bucket's lifecycle expires).
        var key = $"{tenantId}/{batch.SubjectRef}/archive/{batch.JobId}/{batch.Attempt}/{batch.Category}-{Guid.NewGuid():N}.json";
        var entryKeys = rows.ToDictionary(r => r.Id, _ => ArchiveEntry.NewKey(), StringComparer.Ordinal);
        string version;
        try
        {
            version = await PutArchiveAsync(batch, key, rows, entryKeys, cancellationToken);
        }
        catch (AmazonS3Exception ex)
        {
            failed.AddRange(rows.Select(r => (r.Id, $"S3 refused the archived object ({ex.ErrorCode}): the record stays where it is until a later run.")));
            return [];
        }

        var byId = items.ToDictionary(i => i.ItemId, StringComparer.Ordinal);
        IReadOnlySet<string> moved;
        try
        {
            moved = await MoveAsync(batch, rows.Select(r => byId[r.Id]).ToList(), item => new Dictionary<string, AttributeValue>
            {
                ["store"] = new() { S = "s3" },
                ["bucket"] = new() { S = ResourceCatalog.Data.LogicalName },
                ["key"] = new() { S = key },
                ["versionId"] = new() { S = version },
                ["table"] = new() { S = ResourceCatalog.Records.LogicalName },
                ["row"] = new() { S = $"RECORD#{item.ItemId}" },
            }, item => entryKeys[item.ItemId], cancellationToken, rows.ToDictionary(r => r.Id, r => r.Revision, StringComparer.Ordinal));
        }
        catch (Domain.Erasure.LegalHoldException)
        {
            // Chunks written before the hold came are archived in this object: it stays for them. Only an object nobody
            // moved into goes.
            var now = await moves.CurrentAsync(tenantId, rows.Select(r => r.Id).ToList(), cancellationToken);
            if (!now.Any(i => i.State == ItemState.Archived && i.Location.GetValueOrDefault("key") == key))
            {
                await DeleteObjectAsync(key, version, cancellationToken);
            }

            throw;
        }

        if (moved.Count == 0)
        {
            await DeleteObjectAsync(key, version, cancellationToken);
        }

        return moved;
    }

    private async Task<IReadOnlyCollection<string>> ArchiveFilesAsync(ArchiveBatch batch, List<InventoryItem> items, List<(string, string)> failed, CancellationToken cancellationToken)
    {
        var tagged = new List<InventoryItem>();
        foreach (var item in items)
        {
            try
            {
                await TagAsync(item, ArchiveTiers.Tag(batch.Rule.Tier), batch.Tenant.Id, cancellationToken);
                tagged.Add(item);
            }
            catch (AmazonS3Exception ex)
            {
                failed.Add((item.ItemId, $"S3 refused to tag the file for {ArchiveTiers.Name(batch.Rule.Tier)}: {ex.ErrorCode}."));
            }
        }

        IReadOnlySet<string> moved;
        try
        {
            moved = await MoveAsync(batch, tagged, item => item.Location.ToDictionary(p => p.Key, p => new AttributeValue { S = p.Value }), entryKey: null, cancellationToken);
        }
        catch (Domain.Erasure.LegalHoldException)
        {
            // Chunks written before the hold came are archived: they keep their tag. The rest stays readable where it is.
            var now = await moves.CurrentAsync(batch.Tenant.Id, tagged.Select(t => t.ItemId).ToList(), cancellationToken);
            var archived = now.Where(i => i.State == ItemState.Archived && i.ArchivedBy == batch.JobId).Select(i => i.ItemId).ToHashSet(StringComparer.Ordinal);
            await UntagAsync(batch, tagged.Where(t => !archived.Contains(t.ItemId)));
            throw;
        }

        // A file whose move did not apply (changed meanwhile) stays readable where it is: the lifecycle rule must not take it.
        await UntagAsync(batch, tagged.Where(t => !moved.Contains(t.ItemId)));

        if (transitionAtOnce)
        {
            foreach (var item in tagged.Where(t => moved.Contains(t.ItemId)))
            {
                await TransitionAsync(item, batch.Rule.Tier, batch.Tenant.SealingKeyArn, cancellationToken);
            }
        }

        return moved;
    }

    /// <summary>The items' moves to archived, conditional on each being active and the subject not held.</summary>
    private Task<IReadOnlySet<string>> MoveAsync(
        ArchiveBatch batch, List<InventoryItem> items, Func<InventoryItem, Dictionary<string, AttributeValue>> location, Func<InventoryItem, byte[]>? entryKey,
        CancellationToken cancellationToken, IReadOnlyDictionary<string, int>? revisions = null)
    {
        var deleteRow = entryKey is not null;
        var tenantId = batch.Tenant.Id;
        return moves.MoveUnlessHeldAsync(tenantId, batch.SubjectRef, items, item =>
        {
            var (expiryPk, expirySk) = DynamoRecordStore.ExpiryKeys(tenantId, item.ItemId, batch.ArchivedUntil);
            var actions = new List<TransactWriteItem>
            {
                new() { Update = new Update
                {
                    TableName = inventoryTable,
                    Key = DynamoKeys.Of(tenantId, $"ITEM#{item.ItemId}"),
                    UpdateExpression = "SET #state = :to, archivedAt = :at, archivedUntil = :until, archivedBy = :job, archiveTier = :tier, #location = :location, expiryPk = :pk, expirySk = :sk"
                        + (entryKey is null ? string.Empty : ", archiveKey = :entryKey"),
                    ConditionExpression = "#state = :from",
                    ExpressionAttributeNames = new() { ["#state"] = "state", ["#location"] = "location" },
                    ExpressionAttributeValues = new()
                    {
                        [":to"] = new() { S = ItemStates.Name(ItemState.Archived) },
                        [":from"] = new() { S = ItemStates.Name(ItemState.Active) },
                        [":at"] = new() { S = Timestamps.Format(batch.ArchivedAt) },
                        [":until"] = new() { S = Timestamps.Format(batch.ArchivedUntil) },
                        [":job"] = new() { S = batch.JobId },
                        [":tier"] = new() { S = ArchiveTiers.Name(batch.Rule.Tier) },
                        [":location"] = new() { M = location(item), IsMSet = true },
                        [":pk"] = expiryPk,
                        [":sk"] = expirySk,
                    },
                } },
            };
            if (entryKey is not null)
            {
                actions[0].Update.ExpressionAttributeValues[":entryKey"] = new() { B = new MemoryStream(entryKey(item)) };
            }

            if (deleteRow)
            {
                // The row as it was archived: a rectification that landed after the read (a new revision) keeps it where it is,
                // so the archive never holds values the subject had corrected.
                var revision = revisions?.GetValueOrDefault(item.ItemId) ?? 0;
                var values = new Dictionary<string, AttributeValue> { [":active"] = new() { S = ItemStates.Name(ItemState.Active) } };
                if (revision > 0)
                {
                    values[":rev"] = new() { N = revision.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                }

                actions.Add(new() { Delete = new Delete
                {
                    TableName = recordsTable,
                    Key = DynamoKeys.Of(tenantId, $"RECORD#{item.ItemId}"),
                    ConditionExpression = "#state = :active AND " + (revision > 0 ? "#rev = :rev" : "attribute_not_exists(#rev)"),
                    ExpressionAttributeNames = new() { ["#state"] = "state", ["#rev"] = "rev" },
                    ExpressionAttributeValues = values,
                } });
            }

            return actions;
        }, cancellationToken);
    }

    private async Task<string> PutArchiveAsync(ArchiveBatch batch, string key, List<StoredRecord> rows, Dictionary<string, byte[]> entryKeys, CancellationToken cancellationToken)
    {
        var entries = rows.Select(r => new ArchivedEntry(r.Id, Convert.ToBase64String(ArchiveEntry.Seal(
            JsonSerializer.SerializeToUtf8Bytes(ArchivedRecord.From(r), AwsJsonContext.Default.ArchivedRecord), entryKeys[r.Id], batch.Tenant.Id, batch.SubjectRef, r.Id)))).ToList();
        var document = new ArchivedRecordObject(ArchivedRecordObject.CurrentVersion, batch.Tenant.Id, batch.SubjectRef, batch.Category, batch.JobId, batch.ArchivedAt, entries);
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = dataBucket,
            Key = key,
            InputStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document, AwsJsonContext.Default.ArchivedRecordObject)),
            ContentType = "application/json",
            StorageClass = StorageClassOf(batch.Rule.Tier),
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = batch.Tenant.SealingKeyArn,
            TagSet = [new Tag { Key = "lethe:tenant", Value = batch.Tenant.Id }, new Tag { Key = TierTag, Value = ArchiveTiers.Tag(batch.Rule.Tier) }],
        }, cancellationToken);
        return put.VersionId ?? "null";
    }

    /// <summary>An object no item moved into (its entries are unreadable anyway: their keys were never stored).</summary>
    private async Task DeleteObjectAsync(string key, string version, CancellationToken cancellationToken) =>
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = dataBucket, Key = key, VersionId = version }, cancellationToken);

    private async Task UntagAsync(ArchiveBatch batch, IEnumerable<InventoryItem> files)
    {
        foreach (var file in files)
        {
            await TagAsync(file, null, batch.Tenant.Id, CancellationToken.None);
        }
    }

    /// <summary>Sets (or, with null, removes) the file's tier tag, keeping its other tags.</summary>
    private async Task TagAsync(InventoryItem item, string? tier, string tenantId, CancellationToken cancellationToken)
    {
        var key = item.Location["key"];
        var current = await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = dataBucket, Key = key }, cancellationToken);
        var tags = (current.Tagging ?? []).Where(t => t.Key != TierTag).ToList();
        if (!tags.Any(t => t.Key == "lethe:tenant"))
        {
            tags.Add(new Tag { Key = "lethe:tenant", Value = tenantId });
        }

        if (tier is not null)
        {
            tags.Add(new Tag { Key = TierTag, Value = tier });
        }

        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = dataBucket, Key = key, Tagging = new Tagging { TagSet = tags } }, cancellationToken);
    }

    /// <summary>What the lifecycle rule does in AWS, at once: the file's current version copied onto itself in the tier's class.</summary>
    private async Task TransitionAsync(InventoryItem item, ArchiveTier tier, string? tenantKeyArn, CancellationToken cancellationToken) =>
        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = dataBucket,
            SourceKey = item.Location["key"],
            DestinationBucket = dataBucket,
            DestinationKey = item.Location["key"],
            StorageClass = StorageClassOf(tier),
            MetadataDirective = S3MetadataDirective.COPY,
            TaggingDirective = TaggingDirective.COPY,
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = tenantKeyArn,
        }, cancellationToken);

    public static S3StorageClass StorageClassOf(ArchiveTier tier) => tier == ArchiveTier.DeepArchive ? S3StorageClass.DeepArchive : S3StorageClass.Glacier;
}
