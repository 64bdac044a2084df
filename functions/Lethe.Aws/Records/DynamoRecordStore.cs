using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Domain.Crypto;
using Lethe.Domain.Classification;
using Lethe.Domain.Records;
using Lethe.Domain;

namespace Lethe.Aws.Records;

/// <summary>
/// Records (<c>TENANT#t</c> / <c>RECORD#id</c>) and their inventory items (<c>TENANT#t</c> / <c>ITEM#id</c>), written in one
/// transaction so nothing is stored that the inventory does not know. The inventory's <c>bySubject</c> index
/// (<c>TENANT#t#SUBJECT#ref</c>, createdAt#id) lists a subject's items; <c>byExpiry</c> (<c>TENANT#t#EXPIRY#day#shard</c>,
/// retainUntil) serves the retention sweep. The same transaction records the subject in the directory (Keys table,
/// <c>SUBJECT#ref</c>, the id sealed), checks the subject's erasure lock, so nothing is written for a subject under erasure,
/// and checks that the KEK the fields are sealed under is still the subject's stored KEK.
/// </summary>
public sealed class DynamoRecordStore(IAmazonDynamoDB dynamo, string recordsTable, string inventoryTable, string keysTable, ErasureLocks locks, string tenantsTable) : IRecordStore
{
    public const int ExpiryShards = 8;
    private const string RecordPrefix = "RECORD#";
    private const string ItemPrefix = "ITEM#";

    public static string SubjectPartition(string tenantId, string subjectRef) => $"TENANT#{tenantId}#SUBJECT#{subjectRef}";

    /// <summary>
    /// Places an inventory item in the <c>byExpiry</c> index: its retention date's day bucket, sharded by id, sorted by the date
    /// (the retention sweep reads these buckets; every stored thing with a retention carries them).
    /// </summary>
    public static void AddExpiry(Dictionary<string, AttributeValue> item, string tenantId, string itemId, DateTimeOffset retainUntil)
    {
        ArgumentNullException.ThrowIfNull(item);
        item["retainUntil"] = new() { S = Time(retainUntil) };
        (item["expiryPk"], item["expirySk"]) = ExpiryKeys(tenantId, itemId, retainUntil);
    }

    /// <summary>The <c>byExpiry</c> keys of an item that is next due at <paramref name="due"/> (its retention date, or its archive's end).</summary>
    public static (AttributeValue Pk, AttributeValue Sk) ExpiryKeys(string tenantId, string itemId, DateTimeOffset due) =>
        (new() { S = Retention.DynamoRetentionInventory.DayPartition(tenantId, DateOnly.FromDateTime(due.UtcDateTime), DynamoKeys.Shard(itemId, ExpiryShards)) },
         new() { S = $"{Time(due)}#{itemId}" });

    public async Task CreateAsync(StoredRecord record, byte[] sealedSubjectId, string kekId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(sealedSubjectId);
        const int kekCheck = 4;
        try
        {
            await locks.WriteAsync(record.TenantId, record.SubjectRef,
            [
                locks.AbsentCheck(record.TenantId, record.SubjectRef),
                new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = RecordItem(record), ConditionExpression = "attribute_not_exists(pk)" } },
                new TransactWriteItem { Put = new Put { TableName = inventoryTable, Item = InventoryItem(record), ConditionExpression = "attribute_not_exists(pk)" } },
                new TransactWriteItem { Update = DynamoSubjectDirectory.Register(keysTable, record.TenantId, record.SubjectRef, sealedSubjectId, record.CreatedAt) },
                new TransactWriteItem { ConditionCheck = KmsKeyHierarchy.KekCurrentCheck(keysTable, record.TenantId, record.SubjectRef, kekId) },
            ], lockIndex: 0, cancellationToken);
        }
        catch (TransactionCanceledException ex) when (ErasureLocks.IsConditionFailure(ex, kekCheck))
        {
            throw new KekReplacedException($"The KEK of a subject of tenant {record.TenantId} changed while a record was written; nothing was written.");
        }
    }

    public async Task ReplaceAsync(StoredRecord before, StoredRecord after, string kekId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        const int recordWrite = 1, kekCheck = 4;
        var item = RecordItem(after);
        var transaction = new List<TransactWriteItem>
        {
            locks.AbsentCheck(after.TenantId, after.SubjectRef),
            new()
            {
                // The record as it was read: still active, at the revision read (a concurrent rectification or an erasure moved it).
                Put = new Put
                {
                    TableName = recordsTable,
                    Item = item,
                    ConditionExpression = "attribute_exists(pk) AND #state = :active AND " + (before.Revision == 0 ? "attribute_not_exists(#rev)" : "#rev = :rev"),
                    ExpressionAttributeNames = new() { ["#state"] = "state", ["#rev"] = "rev" },
                    ExpressionAttributeValues = before.Revision == 0
                        ? new() { [":active"] = new() { S = ItemStates.Name(ItemState.Active) } }
                        : new() { [":active"] = new() { S = ItemStates.Name(ItemState.Active) }, [":rev"] = new() { N = before.Revision.ToString(CultureInfo.InvariantCulture) } },
                },
            },
            new()
            {
                Update = new Update
                {
                    TableName = inventoryTable,
                    Key = Key(after.TenantId, ItemPrefix + after.Id),
                    UpdateExpression = "SET classification = :classification",
                    ConditionExpression = "#state = :active",
                    ExpressionAttributeNames = new() { ["#state"] = "state" },
                    ExpressionAttributeValues = new()
                    {
                        [":classification"] = new() { S = after.Classification.ToString().ToLowerInvariant() },
                        [":active"] = new() { S = ItemStates.Name(ItemState.Active) },
                    },
                },
            },
            new()
            {
                // A rectification is a write: the retention shred's quiet period starts again.
                Update = new Update
                {
                    TableName = keysTable,
                    Key = Key(after.TenantId, DynamoSubjectDirectory.SortKey(after.SubjectRef)),
                    UpdateExpression = "SET lastWriteAt = :at",
                    ConditionExpression = "attribute_exists(pk)",
                    ExpressionAttributeValues = new() { [":at"] = new() { S = DynamoSubjectDirectory.Time(after.RectifiedAt ?? after.CreatedAt) } },
                },
            },
        };
        if (after.Encrypted)
        {
            transaction.Add(new TransactWriteItem { ConditionCheck = KmsKeyHierarchy.KekCurrentCheck(keysTable, after.TenantId, after.SubjectRef, kekId) });
        }

        // A held subject's values are evidence: a rectification neither overwrites nor removes them.
        var holdCheck = transaction.Count;
        transaction.Add(new TransactWriteItem { ConditionCheck = Tenants.LegalHoldMarker.NotHeld(tenantsTable, after.TenantId, after.SubjectRef) });
        try
        {
            await locks.WriteAsync(after.TenantId, after.SubjectRef, transaction, lockIndex: 0, cancellationToken);
        }
        catch (TransactionCanceledException ex) when (ErasureLocks.IsConditionFailure(ex, holdCheck))
        {
            throw new Domain.Erasure.LegalHoldException($"A legal hold stands for a subject of tenant {after.TenantId}: record {after.Id} stays as it is.");
        }
        catch (TransactionCanceledException ex) when ((ex.CancellationReasons ?? []).Any(r => r.Code == "TransactionConflict"))
        {
            // Another write to the record or its subject was in flight: nothing was written; the caller reads again.
            throw new RecordChangedException($"Record {after.Id} was written by another request at the same moment; nothing was written.");
        }
        catch (TransactionCanceledException ex) when (after.Encrypted && ErasureLocks.IsConditionFailure(ex, kekCheck))
        {
            throw new KekReplacedException($"The KEK of a subject of tenant {after.TenantId} changed while a record was rectified; nothing was written.");
        }
        catch (TransactionCanceledException ex) when (ErasureLocks.IsConditionFailure(ex, recordWrite) || ErasureLocks.IsConditionFailure(ex, recordWrite + 1) || ErasureLocks.IsConditionFailure(ex, recordWrite + 2))
        {
            throw new RecordChangedException($"Record {after.Id} changed (or left the active state) while it was rectified; nothing was written.");
        }
    }

    public async Task<StoredRecord?> FindAsync(string tenantId, string recordId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = recordsTable,
            Key = Key(tenantId, RecordPrefix + recordId),
            ConsistentRead = true,
        }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? FromItem(item) : null;
    }

    /// <summary>
    /// The records of <paramref name="recordIds"/> in that order (missing ones left out), read with BatchGetItem (100 keys a call,
    /// unprocessed keys retried with backoff): one call where a page of single reads made a hundred.
    /// </summary>
    public async Task<IReadOnlyList<StoredRecord>> FindManyAsync(string tenantId, IReadOnlyList<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        var found = new Dictionary<string, StoredRecord>(StringComparer.Ordinal);
        foreach (var chunk in recordIds.Distinct(StringComparer.Ordinal).Chunk(100))
        {
            var keys = new KeysAndAttributes { Keys = chunk.Select(id => Key(tenantId, RecordPrefix + id)).ToList(), ConsistentRead = true };
            for (var attempt = 0; keys is { Keys.Count: > 0 }; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 25 << Math.Min(attempt, 6))), cancellationToken);
                }

                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = new() { [recordsTable] = keys } }, cancellationToken);
                foreach (var item in response.Responses?.GetValueOrDefault(recordsTable) ?? [])
                {
                    var record = FromItem(item);
                    found[record.Id] = record;
                }

                keys = response.UnprocessedKeys?.GetValueOrDefault(recordsTable);
            }
        }

        return recordIds.Where(found.ContainsKey).Select(id => found[id]).ToList();
    }

    public async Task<(IReadOnlyList<StoredRecord> Items, string? NextCursor)> ListActiveAsync(
        string tenantId, string subjectRef, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var subjectPk = SubjectPartition(tenantId, subjectRef);
        var page = await dynamo.QueryUpToAsync(new QueryRequest
        {
            TableName = inventoryTable,
            IndexName = ResourceCatalog.Inventory.GlobalIndexes[0].Name,
            KeyConditionExpression = "subjectPk = :s",
            FilterExpression = "#state = :active AND kind = :record",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#state"] = "state" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":s"] = new() { S = subjectPk },
                [":active"] = new() { S = ItemStates.Name(ItemState.Active) },
                [":record"] = new() { S = "record" },
            },
            ScanIndexForward = false,
            ExclusiveStartKey = DecodeCursor(cursor, tenantId, subjectPk),
        }, limit, cancellationToken);
        var ids = page.Select(item => item["itemId"].S).ToList();
        var last = page.Count > 0 ? page[^1] : null;

        var records = (await FindManyAsync(tenantId, ids, cancellationToken)).Where(r => r.State == ItemState.Active).ToList();

        var next = ids.Count == limit && last is not null ? EncodeCursor(last["subjectSk"].S, last["sk"].S) : null;
        return (records, next);
    }

    private static string EncodeCursor(string subjectSk, string sk) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{subjectSk}|{sk}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Only the position travels in the cursor; the tenant and subject come from the request, so a cursor cannot cross them.</summary>
    private static Dictionary<string, AttributeValue>? DecodeCursor(string? cursor, string tenantId, string subjectPk)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        string text;
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
        }
        catch (FormatException)
        {
            throw new InvalidCursorException();
        }

        var parts = text.Split('|');
        if (parts.Length != 2 || !parts[1].StartsWith(ItemPrefix, StringComparison.Ordinal))
        {
            throw new InvalidCursorException();
        }

        return new Dictionary<string, AttributeValue>
        {
            ["subjectPk"] = new() { S = subjectPk },
            ["subjectSk"] = new() { S = parts[0] },
            [ResourceCatalog.PartitionKeyName] = new() { S = $"TENANT#{tenantId}" },
            [ResourceCatalog.SortKeyName] = new() { S = parts[1] },
        };
    }

    private static Dictionary<string, AttributeValue> Key(string tenantId, string sortKey) => DynamoKeys.Of(tenantId, sortKey);

    private static string Time(DateTimeOffset at) => Timestamps.Format(at);

    internal static Dictionary<string, AttributeValue> RecordItem(StoredRecord record)
    {
        var item = Key(record.TenantId, RecordPrefix + record.Id);
        item["recordId"] = new() { S = record.Id };
        item["tenantId"] = new() { S = record.TenantId };
        if (!IsMaskedCopy(record))
        {
            item["subjectRef"] = new() { S = record.SubjectRef };
        }

        item["category"] = new() { S = record.Category };
        item["visibility"] = new() { S = record.Visibility };
        item["classification"] = new() { S = record.Classification.ToString().ToLowerInvariant() };
        item["specialCategory"] = new() { BOOL = record.SpecialCategory };
        item["pii"] = new() { L = record.Pii.Select(p => new AttributeValue { S = PiiKinds.Name(p) }).ToList(), IsLSet = true };
        item["encrypted"] = new() { BOOL = record.Encrypted };
        item["fields"] = new()
        {
            M = record.Encrypted
                ? record.SealedFields.ToDictionary(f => f.Key, f => new AttributeValue { B = new MemoryStream(f.Value) })
                : record.PlainFields.ToDictionary(f => f.Key, f => new AttributeValue { S = f.Value }),
            IsMSet = true,
        };
        item["createdAt"] = new() { S = Time(record.CreatedAt) };
        item["retainUntil"] = new() { S = Time(record.RetainUntil) };
        item["state"] = new() { S = ItemStates.Name(record.State) };
        item["createdBy"] = new() { S = record.CreatedBy };
        if (record.ReadableUntil is { } readableUntil)
        {
            item["readableUntil"] = new() { S = Time(readableUntil) };
        }

        if (record.Revision > 0)
        {
            item["rev"] = new() { N = record.Revision.ToString(CultureInfo.InvariantCulture) };
            item["rectifiedAt"] = new() { S = Time(record.RectifiedAt ?? record.CreatedAt) };
        }

        return item;
    }

    /// <summary>A record an erasure masked: linked to no subject (RecordMasking).</summary>
    private static bool IsMaskedCopy(StoredRecord record) => record.SubjectRef.Length == 0;

    /// <summary>
    /// The writes of a masked copy (a record linked to no subject): its row and its inventory item, each only if its id is new.
    /// The erasure puts them in the transaction that purges the original.
    /// </summary>
    public static IEnumerable<TransactWriteItem> MaskedCopyWrites(string recordsTable, string inventoryTable, StoredRecord copy)
    {
        ArgumentNullException.ThrowIfNull(copy);
        if (!IsMaskedCopy(copy))
        {
            throw new ArgumentException("A masked copy is linked to no subject.", nameof(copy));
        }

        yield return new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = RecordItem(copy), ConditionExpression = "attribute_not_exists(pk)" } };
        yield return new TransactWriteItem { Put = new Put { TableName = inventoryTable, Item = InventoryItem(copy), ConditionExpression = "attribute_not_exists(pk)" } };
    }

    private static Dictionary<string, AttributeValue> InventoryItem(StoredRecord record)
    {
        var item = Key(record.TenantId, ItemPrefix + record.Id);
        item["itemId"] = new() { S = record.Id };
        item["kind"] = new() { S = "record" };
        item["encrypted"] = new() { BOOL = record.Encrypted };
        item["tenantId"] = new() { S = record.TenantId };
        item["category"] = new() { S = record.Category };
        item["state"] = new() { S = ItemStates.Name(record.State) };
        item["classification"] = new() { S = record.Classification.ToString().ToLowerInvariant() };
        item["visibility"] = new() { S = record.Visibility };
        item["location"] = new()
        {
            M = new Dictionary<string, AttributeValue>
            {
                ["store"] = new() { S = "dynamodb" },
                ["table"] = new() { S = ResourceCatalog.Records.LogicalName },
                ["key"] = new() { S = RecordPrefix + record.Id },
            },
        };
        item["provenance"] = new()
        {
            M = new Dictionary<string, AttributeValue>
            {
                ["source"] = new() { S = IsMaskedCopy(record) ? "erasure-mask" : "api" },
                ["createdBy"] = new() { S = record.CreatedBy },
                ["createdAt"] = new() { S = Time(record.CreatedAt) },
            },
        };
        if (!IsMaskedCopy(record))
        {
            // A masked copy stays out of every subject's index: no erasure, export or subject read reaches it.
            item["subjectRef"] = new() { S = record.SubjectRef };
            item["subjectPk"] = new() { S = SubjectPartition(record.TenantId, record.SubjectRef) };
            item["subjectSk"] = new() { S = $"{Time(record.CreatedAt)}#{record.Id}" };
        }

        AddExpiry(item, record.TenantId, record.Id, record.RetainUntil);
        return item;
    }

    private static StoredRecord FromItem(Dictionary<string, AttributeValue> item)
    {
        var encrypted = item["encrypted"].BOOL == true;
        var fields = item["fields"].M ?? new Dictionary<string, AttributeValue>();
        return new StoredRecord(
            item["recordId"].S,
            item["tenantId"].S,
            item.GetValueOrDefault("subjectRef")?.S ?? string.Empty,
            item["category"].S,
            item["visibility"].S,
            Enum.Parse<ClassificationLevel>(item["classification"].S, ignoreCase: true),
            item["specialCategory"].BOOL == true,
            (item["pii"].L ?? []).Select(p => Enum.GetValues<PiiKind>().Single(k => PiiKinds.Name(k) == p.S)).ToList(),
            encrypted,
            encrypted ? new Dictionary<string, string>() : fields.ToDictionary(f => f.Key, f => f.Value.S, StringComparer.Ordinal),
            encrypted ? fields.ToDictionary(f => f.Key, f => f.Value.B.ToArray(), StringComparer.Ordinal) : new Dictionary<string, byte[]>(),
            Timestamps.Parse(item["createdAt"].S),
            Timestamps.Parse(item["retainUntil"].S),
            ItemStates.Parse(item["state"].S),
            item["createdBy"].S)
        {
            ReadableUntil = item.TryGetValue("readableUntil", out var readable) && readable.S is { } until ? Timestamps.Parse(until) : null,
            Revision = item.TryGetValue("rev", out var rev) && rev.N is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 0,
            RectifiedAt = item.TryGetValue("rectifiedAt", out var rectified) && rectified.S is { } at ? Timestamps.Parse(at) : null,
        };
    }
}

/// <summary>A list cursor that this API did not issue (or issued for another list).</summary>
public sealed class InvalidCursorException() : Exception("The cursor is not valid for this list.");
