using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Aws.Records;
using Lethe.Domain.Erasure;
using Lethe.Domain.Errors;
using Lethe.Domain.Records;
using Lethe.Domain;

namespace Lethe.Aws.Erasure;

/// <summary>
/// The inventory's erasure moves. Items go <c>active → soft_deleted → (purging →) purged</c> by conditional writes, many items
/// per TransactWriteItems (≤ 100 actions), a few transactions at once; when a condition fails (an item restored or moved
/// meanwhile) the transaction is written again without the items the cancellation names, so one item never blocks the others.
/// A record's own item mirrors the state, so every read path hides it in the same write. A purged item leaves the subject
/// index (<c>bySubject</c>): what is left there is what an erasure still has to decide about.
/// </summary>
public sealed class DynamoErasureInventory(IAmazonDynamoDB dynamo, string inventoryTable, string recordsTable, string tenantsTable, Func<string, string> tableName) : IErasureInventory
{
    private const int MaxTransactionActions = 100;

    /// <summary>
    /// Unguarded transactions in flight at once: their round trips overlap. Guarded ones (the purge's) go one at a time: each
    /// checks the subject's hold marker, and DynamoDB cancels concurrent transactions on one item (TransactionConflict).
    /// </summary>
    private const int ParallelTransactions = 4;

    /// <summary>How often a transaction that conflicted with another is written again before the step fails transiently.</summary>
    private const int ConflictAttempts = 6;

    public async Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> PageAsync(
        string tenantId, string subjectRef, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var subjectPk = DynamoRecordStore.SubjectPartition(tenantId, subjectRef);
        var response = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = inventoryTable,
            IndexName = ResourceCatalog.Inventory.GlobalIndexes[0].Name,
            KeyConditionExpression = "subjectPk = :s",
            ExpressionAttributeValues = new() { [":s"] = new() { S = subjectPk } },
            Limit = limit,
            ExclusiveStartKey = Decode(cursor, tenantId, subjectPk),
        }, cancellationToken);
        var last = response.LastEvaluatedKey is { Count: > 0 } key ? key : null;
        var next = last is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes($"{last["subjectSk"].S}|{last["sk"].S}"));
        return (response.Items.Select(InventoryItems.FromItem).ToList(), next);
    }

    public async Task<InventoryItem?> FindAsync(string tenantId, string itemId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = inventoryTable, Key = ItemKey(tenantId, itemId), ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? InventoryItems.FromItem(item) : null;
    }

    public async Task<IReadOnlyList<InventoryItem>> CurrentAsync(string tenantId, IReadOnlyList<string> itemIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        var found = new List<InventoryItem>(itemIds.Count);
        foreach (var chunk in itemIds.Distinct(StringComparer.Ordinal).Chunk(100))
        {
            KeysAndAttributes? keys = new() { Keys = chunk.Select(id => ItemKey(tenantId, id)).ToList(), ConsistentRead = true };
            for (var attempt = 0; keys is { Keys.Count: > 0 }; attempt++)
            {
                if (attempt > 0)
                {
                    // Unprocessed keys (throttling): back off and ask again for those alone.
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 25 << Math.Min(attempt, 6))), cancellationToken);
                }

                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = new() { [inventoryTable] = keys } }, cancellationToken);
                found.AddRange((response.Responses?.GetValueOrDefault(inventoryTable) ?? []).Select(InventoryItems.FromItem));
                keys = response.UnprocessedKeys?.GetValueOrDefault(inventoryTable);
            }
        }

        return found;
    }

    public Task SoftDeleteAsync(string tenantId, IReadOnlyList<InventoryItem> items, string jobId, DateTimeOffset purgeAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        MoveAsync(items, guard: null, item =>
        {
            var archived = item.State == ItemState.Archived;
            var actions = new List<TransactWriteItem>
            {
                new() { Update = new Update
                {
                    TableName = inventoryTable,
                    Key = ItemKey(tenantId, item.ItemId),
                    UpdateExpression = "SET #state = :to, purgeAt = :purgeAt, erasureJobId = :job, softDeletedAt = if_not_exists(softDeletedAt, :now), purgePk = :purgePk, purgeSk = :purgeSk"
                        + (archived ? ", hiddenFrom = :from REMOVE retrievedUntil, retrievedBy" : ""),
                    // Active (or archived) and not kept by this erasure (restored from it), or hidden by another one (cancelled)
                    // or a single delete, which this erasure takes over. An archived item remembers it was, so a restore
                    // returns it to the archive.
                    ConditionExpression = "(#state = :from AND (attribute_not_exists(restoredFrom) OR restoredFrom <> :job)) OR (#state = :to AND erasureJobId <> :job)",
                    ExpressionAttributeNames = new() { ["#state"] = "state" },
                    ExpressionAttributeValues = new()
                    {
                        [":to"] = new() { S = ItemStates.Name(ItemState.SoftDeleted) },
                        [":from"] = new() { S = ItemStates.Name(archived ? ItemState.Archived : ItemState.Active) },
                        [":purgeAt"] = new() { S = Time(purgeAt) },
                        [":job"] = new() { S = jobId },
                        [":now"] = new() { S = Time(now) },
                        [":purgePk"] = new() { S = PurgePartition(tenantId, item.ItemId) },
                        [":purgeSk"] = new() { S = $"{Time(purgeAt)}#{item.ItemId}" },
                    },
                } },
            };
            if (archived)
            {
                EndRetrieval(actions, tenantId, item);
            }
            else
            {
                AddRecordMirror(actions, tenantId, item, ItemState.SoftDeleted);
            }

            return actions;
        }, cancellationToken);

    public async Task<bool> DeleteOneAsync(string tenantId, string subjectRef, InventoryItem item, string jobId, DateTimeOffset purgeAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        const int lockCheck = 0, holdCheck = 1;
        var actions = new List<TransactWriteItem>
        {
            new()
            {
                ConditionCheck = new ConditionCheck
                {
                    TableName = tableName(ResourceCatalog.Jobs.LogicalName),
                    Key = DynamoKeys.Of(tenantId, Jobs.ErasureLocks.SortKey(subjectRef)),
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new() { ["#pk"] = ResourceCatalog.PartitionKeyName },
                },
            },
            new() { ConditionCheck = Tenants.LegalHoldMarker.NotHeld(tenantsTable, tenantId, subjectRef) },
            new() { Update = new Update
            {
                TableName = inventoryTable,
                Key = ItemKey(tenantId, item.ItemId),
                UpdateExpression = "SET #state = :to, purgeAt = :purgeAt, erasureJobId = :job, softDeletedAt = :now, purgePk = :purgePk, purgeSk = :purgeSk",
                ConditionExpression = "#state = :from AND subjectRef = :subject",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new()
                {
                    [":to"] = new() { S = ItemStates.Name(ItemState.SoftDeleted) },
                    [":from"] = new() { S = ItemStates.Name(ItemState.Active) },
                    [":subject"] = new() { S = subjectRef },
                    [":purgeAt"] = new() { S = Time(purgeAt) },
                    [":job"] = new() { S = jobId },
                    [":now"] = new() { S = Time(now) },
                    [":purgePk"] = new() { S = PurgePartition(tenantId, item.ItemId) },
                    [":purgeSk"] = new() { S = $"{Time(purgeAt)}#{item.ItemId}" },
                },
            } },
        };
        AddRecordMirror(actions, tenantId, item, ItemState.SoftDeleted);
        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = actions }, cancellationToken);
            return true;
        }
        catch (TransactionCanceledException ex) when (Jobs.ErasureLocks.IsConditionFailure(ex, lockCheck))
        {
            throw new Domain.Errors.ErasureInProgressException(null);
        }
        catch (TransactionCanceledException ex) when (Jobs.ErasureLocks.IsConditionFailure(ex, holdCheck))
        {
            throw new LegalHoldException($"A legal hold stands for a subject of tenant {tenantId}: nothing of it may be deleted.");
        }
        catch (TransactionCanceledException ex) when ((ex.CancellationReasons ?? []).Any(r => r.Code is "ConditionalCheckFailed" or "TransactionConflict"))
        {
            return false;
        }
    }

    /// <summary>
    /// Moves of the retention sweep's archive through the same chunked transactions, each guarded by the subject's hold marker
    /// (<see cref="LegalHoldException"/> when a hold stands). Returns the ids moved.
    /// </summary>
    public Task<IReadOnlySet<string>> MoveUnlessHeldAsync(
        string tenantId, string subjectRef, IReadOnlyList<InventoryItem> items, Func<InventoryItem, List<TransactWriteItem>> actionsFor, CancellationToken cancellationToken) =>
        MoveAsync(items, new TransactWriteItem { ConditionCheck = Tenants.LegalHoldMarker.NotHeld(tenantsTable, tenantId, subjectRef) }, actionsFor, cancellationToken);

    public async Task<IReadOnlySet<string>> BeginPurgeAsync(string tenantId, string subjectRef, IReadOnlyList<InventoryItem> items, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var purging = items.Where(i => i.State == ItemState.Purging).Select(i => i.ItemId).ToHashSet(StringComparer.Ordinal);
        var due = items.Where(i => i.State == ItemState.SoftDeleted).ToList();
        var notHeld = new TransactWriteItem { ConditionCheck = Tenants.LegalHoldMarker.NotHeld(tenantsTable, tenantId, subjectRef) };
        var moved = await MoveAsync(due, notHeld, item =>
        [
            new() { Update = new Update
            {
                TableName = inventoryTable,
                Key = ItemKey(tenantId, item.ItemId),
                UpdateExpression = "SET #state = :to, purgeStartedAt = :now",
                // The same condition restore tests the other way round: purge and restore can never both win.
                ConditionExpression = "#state = :from AND purgeAt <= :now",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new()
                {
                    [":to"] = new() { S = ItemStates.Name(ItemState.Purging) },
                    [":from"] = new() { S = ItemStates.Name(ItemState.SoftDeleted) },
                    [":now"] = new() { S = Time(now) },
                },
            } },
        ], cancellationToken);
        purging.UnionWith(moved);
        return purging;
    }

    public Task<IReadOnlySet<string>> PurgeSingleTableItemsAsync(
        string tenantId, string subjectRef, string jobId, IReadOnlyList<InventoryItem> items, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var notHeld = new TransactWriteItem { ConditionCheck = Tenants.LegalHoldMarker.NotHeld(tenantsTable, tenantId, subjectRef) };
        return MoveAsync(items, notHeld, item => PurgeWrites(tenantId, subjectRef, jobId, item, now), cancellationToken);
    }

    public async Task<IReadOnlySet<string>> PurgeMaskedAsync(
        string tenantId, string subjectRef, string jobId, IReadOnlyList<(InventoryItem Item, StoredRecord Copy)> items, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var notHeld = new TransactWriteItem { ConditionCheck = Tenants.LegalHoldMarker.NotHeld(tenantsTable, tenantId, subjectRef) };
        var copies = items.ToDictionary(i => i.Item.ItemId, i => i.Copy, StringComparer.Ordinal);
        var purged = new HashSet<string>(StringComparer.Ordinal);
        // A transaction carries at most 4 MB: copies (a record row each, up to 400 KB) go in groups well below it.
        foreach (var group in BySize(items, i => EstimatedBytes(i.Copy), MaxMaskedBytesPerTransaction))
        {
            purged.UnionWith(await MoveAsync(group.Select(i => i.Item).ToList(), notHeld, item =>
            [
                .. PurgeWrites(tenantId, subjectRef, jobId, item with { Masked = true }, now),
                .. DynamoRecordStore.MaskedCopyWrites(recordsTable, inventoryTable, copies[item.ItemId]),
            ], cancellationToken));
        }

        return purged;
    }

    private const long MaxMaskedBytesPerTransaction = 2 * 1024 * 1024;

    /// <summary>A masked copy's size as DynamoDB counts it, from above: UTF-8 of its names and values, and the rest of its row and item.</summary>
    private static long EstimatedBytes(StoredRecord copy) => 4096 + copy.PlainFields.Sum(f => 3L * (f.Key.Length + f.Value.Length));

    /// <summary>Consecutive groups whose sizes add up to at most <paramref name="limit"/> (an item larger than that goes alone).</summary>
    private static IEnumerable<List<T>> BySize<T>(IEnumerable<T> items, Func<T, long> size, long limit)
    {
        var group = new List<T>();
        long used = 0;
        foreach (var item in items)
        {
            var bytes = size(item);
            if (group.Count > 0 && used + bytes > limit)
            {
                yield return group;
                group = [];
                used = 0;
            }

            group.Add(item);
            used += bytes;
        }

        if (group.Count > 0)
        {
            yield return group;
        }
    }

    /// <summary>A single table item's purge: its tombstone in place of the item (conditional on this erasure's due hide) and its row deleted.</summary>
    private List<TransactWriteItem> PurgeWrites(string tenantId, string subjectRef, string jobId, InventoryItem item, DateTimeOffset now) =>
    [
        // A conditional put of the tombstone (what the item was, that it is purged, by whom, when), not an update: the
        // item holds nothing else worth keeping once its data is gone, and it leaves every index (subject, purge,
        // expiry) by not naming their keys. The subject's lock keeps every other writer away meanwhile.
        new() { Put = new Put
        {
            TableName = inventoryTable,
            Item = Tombstone(tenantId, subjectRef, jobId, item, now),
            // Hidden by this erasure and due: the condition restore tests the other way round, so purge and restore never both win.
            ConditionExpression = "#state = :from AND erasureJobId = :job AND purgeAt <= :now",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new()
            {
                [":from"] = new() { S = ItemStates.Name(ItemState.SoftDeleted) },
                [":now"] = new() { S = Time(now) },
                [":job"] = new() { S = jobId },
            },
        } },
        new() { Delete = new Delete { TableName = tableName(item.Location["table"]), Key = DynamoKeys.Of(tenantId, item.Location["key"]) } },
    ];

    /// <summary>The <c>byPurger</c> partition of a job's tombstones.</summary>
    public static string PurgerPartition(string tenantId, string jobId) => $"{DynamoKeys.TenantPartition(tenantId)}#JOB#{jobId}";

    private static Dictionary<string, AttributeValue> Tombstone(string tenantId, string subjectRef, string jobId, InventoryItem item, DateTimeOffset now)
    {
        var tombstone = ItemKey(tenantId, item.ItemId);
        tombstone["itemId"] = new() { S = item.ItemId };
        tombstone["kind"] = new() { S = item.Kind };
        tombstone["subjectRef"] = new() { S = subjectRef };
        tombstone["category"] = new() { S = item.Category };
        tombstone["classification"] = new() { S = item.Classification ?? "unknown" };
        tombstone["location"] = new() { M = item.Location.ToDictionary(p => p.Key, p => new AttributeValue { S = p.Value }, StringComparer.Ordinal) };
        tombstone["encrypted"] = new() { BOOL = item.Encrypted };
        tombstone["state"] = new() { S = ItemStates.Name(ItemState.Purged) };
        tombstone["erasureJobId"] = new() { S = jobId };
        tombstone["purgedAt"] = new() { S = Time(now) };
        tombstone["purgedBy"] = new() { S = jobId };
        tombstone["purgerPk"] = new() { S = PurgerPartition(tenantId, jobId) };
        tombstone["purgerSk"] = new() { S = item.ItemId };
        tombstone["versionsDeleted"] = new() { N = "0" };
        if (item.Masked)
        {
            tombstone["masked"] = new() { BOOL = true };
        }

        return tombstone;
    }

    public async Task MarkPurgedAsync(string tenantId, IReadOnlyList<(string ItemId, long Versions)> items, string jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var versions = items.ToDictionary(i => i.ItemId, i => i.Versions, StringComparer.Ordinal);
        var targets = items.Select(i => new InventoryItem(i.ItemId, "unknown", "unknown", ItemState.Purging, new Dictionary<string, string>())).ToList();
        await MoveAsync(targets, item =>
        [
            new() { Update = new Update
            {
                TableName = inventoryTable,
                Key = ItemKey(tenantId, item.ItemId),
                // Leaving the expiry, purge and subject indexes: nothing is left to decide about a purged item. An archived
                // record's key goes with it: its entry in an archived object that outlives it can never be opened again.
                UpdateExpression = "SET #state = :to, purgedAt = :now, purgedBy = :job, purgerPk = :purger, purgerSk = :item, versionsDeleted = :versions REMOVE expiryPk, expirySk, purgePk, purgeSk, subjectPk, subjectSk, archiveKey, retrievedUntil, retrievedBy",
                ConditionExpression = "#state = :from",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new()
                {
                    [":to"] = new() { S = ItemStates.Name(ItemState.Purged) },
                    [":from"] = new() { S = ItemStates.Name(ItemState.Purging) },
                    [":now"] = new() { S = Time(now) },
                    [":job"] = new() { S = jobId },
                    [":versions"] = new() { N = versions[item.ItemId].ToString(CultureInfo.InvariantCulture) },
                    [":purger"] = new() { S = PurgerPartition(tenantId, jobId) },
                    [":item"] = new() { S = item.ItemId },
                },
            } },
        ], cancellationToken);
    }

    public Task UnhideAsync(string tenantId, IReadOnlyList<InventoryItem> items, string jobId, CancellationToken cancellationToken) =>
        MoveAsync(items, guard: null, item =>
        {
            var back = item.HiddenFrom ?? ItemState.Active;
            var actions = new List<TransactWriteItem>
            {
                new() { Update = new Update
                {
                    TableName = inventoryTable,
                    Key = ItemKey(tenantId, item.ItemId),
                    UpdateExpression = "SET #state = :to REMOVE purgeAt, erasureJobId, softDeletedAt, purgePk, purgeSk, hiddenFrom",
                    ConditionExpression = "#state = :from AND erasureJobId = :job",
                    ExpressionAttributeNames = new() { ["#state"] = "state" },
                    ExpressionAttributeValues = new()
                    {
                        [":to"] = new() { S = ItemStates.Name(back) },
                        [":from"] = new() { S = ItemStates.Name(ItemState.SoftDeleted) },
                        [":job"] = new() { S = jobId },
                    },
                } },
            };
            if (back == ItemState.Active)
            {
                AddRecordMirror(actions, tenantId, item, ItemState.Active);
            }

            return actions;
        }, cancellationToken);

    public async Task<bool> RestoreAsync(string tenantId, string itemId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var item = await FindAsync(tenantId, itemId, cancellationToken);
        if (item is not { State: ItemState.SoftDeleted })
        {
            return false;
        }

        // An archived item that an erasure hid goes back to the archive (still unreadable until retrieved).
        var back = item.HiddenFrom ?? ItemState.Active;
        var actions = new List<TransactWriteItem>
        {
            new() { Update = new Update
            {
                TableName = inventoryTable,
                Key = ItemKey(tenantId, itemId),
                UpdateExpression = "SET #state = :to, restoredAt = :now, restoredFrom = :job REMOVE purgeAt, erasureJobId, purgePk, purgeSk, hiddenFrom",
                ConditionExpression = "#state = :from AND purgeAt > :now",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new()
                {
                    [":to"] = new() { S = ItemStates.Name(back) },
                    [":from"] = new() { S = ItemStates.Name(ItemState.SoftDeleted) },
                    [":now"] = new() { S = Time(now) },
                    [":job"] = new() { S = item.ErasureJobId ?? "-" },
                },
            } },
        };
        if (back == ItemState.Active)
        {
            AddRecordMirror(actions, tenantId, item, ItemState.Active);
        }

        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = actions }, cancellationToken);
            return true;
        }
        catch (TransactionCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Applies the moves chunk by chunk in transactions; a chunk that is cancelled (some condition no longer holds) is retried
    /// item by item. Returns the ids whose move succeeded now.
    /// </summary>
    private Task<IReadOnlySet<string>> MoveAsync(IReadOnlyList<InventoryItem> items, Func<InventoryItem, List<TransactWriteItem>> actionsFor, CancellationToken cancellationToken) =>
        MoveAsync(items, guard: null, actionsFor, cancellationToken);

    /// <summary>
    /// Moves items in transactions of up to 100 actions, a few at once. When a transaction is cancelled because some items'
    /// conditions no longer hold, it is written again without them (and item by item if DynamoDB names no reason), so one
    /// item does not stop the others. A guard (the subject's hold marker) goes first into every transaction: when it fails,
    /// nothing of that transaction is written and <see cref="LegalHoldException"/> is thrown.
    /// </summary>
    private async Task<IReadOnlySet<string>> MoveAsync(
        IReadOnlyList<InventoryItem> items, TransactWriteItem? guard, Func<InventoryItem, List<TransactWriteItem>> actionsFor, CancellationToken cancellationToken)
    {
        var room = MaxTransactionActions - (guard is null ? 0 : 1);
        var chunks = new List<List<(InventoryItem Item, List<TransactWriteItem> Actions)>>();
        var chunk = new List<(InventoryItem Item, List<TransactWriteItem> Actions)>();
        var used = 0;
        foreach (var item in items)
        {
            var actions = actionsFor(item);
            if (used + actions.Count > room && chunk.Count > 0)
            {
                chunks.Add(chunk);
                chunk = [];
                used = 0;
            }

            chunk.Add((item, actions));
            used += actions.Count;
        }

        if (chunk.Count > 0)
        {
            chunks.Add(chunk);
        }

        var moved = new ConcurrentBag<string>();
        var inFlight = guard is null ? ParallelTransactions : 1;
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = inFlight, CancellationToken = cancellationToken }, async (part, ct) =>
        {
            foreach (var id in await WriteChunkAsync(part, guard, ct))
            {
                moved.Add(id);
            }
        });
        return moved.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Writes one chunk; returns the ids moved. Items whose condition failed are dropped and the rest written again.</summary>
    private async Task<IReadOnlyList<string>> WriteChunkAsync(List<(InventoryItem Item, List<TransactWriteItem> Actions)> chunk, TransactWriteItem? guard, CancellationToken cancellationToken)
    {
        var pending = chunk;
        var conflicts = 0;
        for (var attempt = 0; pending.Count > 0; attempt++)
        {
            var actions = pending.SelectMany(c => c.Actions);
            try
            {
                await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = (guard is null ? actions : actions.Prepend(guard)).ToList() }, cancellationToken);
                return pending.Select(c => c.Item.ItemId).ToList();
            }
            catch (TransactionCanceledException ex) when (guard is not null && ex.CancellationReasons is { Count: > 0 } reasons && reasons[0].Code == "ConditionalCheckFailed")
            {
                throw new LegalHoldException("A legal hold names the subject: its items are not purged while it stands.");
            }
            catch (TransactionCanceledException ex) when (ex.CancellationReasons?.Any(r => r.Code is "TransactionConflict" or "ThrottlingError" or "ProvisionedThroughputExceeded") == true)
            {
                // Another transaction had one of these items (or the hold marker) in flight, or DynamoDB throttled: the same
                // write again, a little later; never read as a failed condition. Still refused: the step's Retry takes over.
                if (++conflicts > ConflictAttempts)
                {
                    throw new TransientException("The erasure's writes kept conflicting with other transactions on the same items.", ex);
                }

                attempt--;
                await Task.Delay(TimeSpan.FromMilliseconds((20 << conflicts) + Random.Shared.Next(20)), cancellationToken);
            }
            catch (TransactionCanceledException ex)
            {
                // Some conditions no longer hold (restored, already moved): those items are not ours to move.
                var failed = FailedItems(pending, ex.CancellationReasons, guard is null ? 0 : 1);
                if (failed.Count == 0 || attempt >= 2)
                {
                    // No usable reasons (or still failing): item by item, so one item never blocks the others.
                    var one = new List<string>();
                    foreach (var (item, own) in pending)
                    {
                        if (pending.Count > 1 && await WriteChunkAsync([(item, own)], guard, cancellationToken) is [var id])
                        {
                            one.Add(id);
                        }
                    }

                    return one;
                }

                pending = pending.Where(p => !failed.Contains(p.Item.ItemId)).ToList();
            }
        }

        return [];
    }

    /// <summary>The items whose actions a cancelled transaction names as the reason (ConditionalCheckFailed or another code).</summary>
    private static HashSet<string> FailedItems(List<(InventoryItem Item, List<TransactWriteItem> Actions)> chunk, List<CancellationReason>? reasons, int offset)
    {
        var failed = new HashSet<string>(StringComparer.Ordinal);
        if (reasons is null || reasons.Count != chunk.Sum(c => c.Actions.Count) + offset)
        {
            return failed;
        }

        var index = offset;
        foreach (var (item, actions) in chunk)
        {
            if (reasons.Skip(index).Take(actions.Count).Any(r => r.Code is { } code && code != "None"))
            {
                failed.Add(item.ItemId);
            }

            index += actions.Count;
        }

        return failed;
    }

    /// <summary>
    /// An archived record read back by a retrieval has a readable copy in the Records table (location <c>row</c>): hiding the
    /// item ends the retrieval, so the copy goes in the same write (a delete of a row that is not there changes nothing).
    /// </summary>
    private void EndRetrieval(List<TransactWriteItem> actions, string tenantId, InventoryItem item)
    {
        if (item.Location.TryGetValue("row", out var row))
        {
            actions.Add(new() { Delete = new Delete { TableName = recordsTable, Key = DynamoKeys.Of(tenantId, row) } });
        }
    }

    private void AddRecordMirror(List<TransactWriteItem> actions, string tenantId, InventoryItem item, ItemState state)
    {
        if (item.Kind != "record" || item.Store != "dynamodb" || !item.Location.TryGetValue("key", out var recordKey))
        {
            return;
        }

        actions.Add(new() { Update = new Update
        {
            TableName = recordsTable,
            Key = DynamoKeys.Of(tenantId, recordKey),
            UpdateExpression = "SET #state = :state",
            ConditionExpression = "attribute_exists(pk)",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new() { [":state"] = new() { S = ItemStates.Name(state) } },
        } });
    }

    public async Task<IReadOnlyList<InventoryItem>> DueAsync(string tenantId, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var due = new List<InventoryItem>();
        for (var shard = 0; shard < PurgeShards && due.Count < limit; shard++)
        {
            var page = await dynamo.QueryUpToAsync(new QueryRequest
            {
                TableName = inventoryTable,
                IndexName = ResourceCatalog.Inventory.GlobalIndexes[2].Name,
                KeyConditionExpression = "purgePk = :p AND purgeSk <= :now",
                ExpressionAttributeValues = new()
                {
                    [":p"] = new() { S = $"TENANT#{tenantId}#PURGE#{shard}" },
                    // Sorts after every "{purgeAt}#{itemId}" whose purgeAt is not later than now.
                    [":now"] = new() { S = $"{Time(now)}#~" },
                },
            }, limit - due.Count, cancellationToken);
            due.AddRange(page.Select(InventoryItems.FromItem).Where(i => i.State == ItemState.SoftDeleted));
        }

        return due;
    }

    public const int PurgeShards = 8;

    private static string PurgePartition(string tenantId, string itemId) =>
        $"TENANT#{tenantId}#PURGE#{DynamoKeys.Shard(itemId, PurgeShards)}";

    private static Dictionary<string, AttributeValue> ItemKey(string tenantId, string itemId) => DynamoKeys.Of(tenantId, $"ITEM#{itemId}");

    private static string Time(DateTimeOffset at) => Timestamps.Format(at);

    private static Dictionary<string, AttributeValue>? Decode(string? cursor, string tenantId, string subjectPk)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor)).Split('|');
        if (parts.Length != 2 || !parts[1].StartsWith("ITEM#", StringComparison.Ordinal))
        {
            throw new Domain.Errors.InvalidInputException("The erasure cursor is not valid.");
        }

        var key = DynamoKeys.Of(tenantId, parts[1]);
        key["subjectPk"] = new() { S = subjectPk };
        key["subjectSk"] = new() { S = parts[0] };
        return key;
    }
}
