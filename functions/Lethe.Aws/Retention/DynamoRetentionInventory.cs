using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Records;
using Lethe.Catalog;
using Lethe.Domain;
using Lethe.Domain.Records;
using Lethe.Domain.Retention;
using Lethe.Domain.Tenancy;

namespace Lethe.Aws.Retention;

/// <summary>
/// Due items through the inventory's <c>byExpiry</c> index, never a scan. A run reads, in this order, the deferred bucket
/// (<c>TENANT#t#EXPIRY#deferred#shard</c>: what earlier runs had to leave) and the day buckets (<c>TENANT#t#EXPIRY#day#shard</c>)
/// from the day the last completed run stopped at (or the tenant's creation) to the run's own day, each only up to the run's
/// moment. The cursor names the bucket and the last item read. Where a run stopped lives beside the jobs
/// (<c>TENANT#t</c> / <c>SWEEP#retention</c>).
/// </summary>
public sealed class DynamoRetentionInventory(IAmazonDynamoDB dynamo, string inventoryTable, string jobsTable, ITenantRepository tenants) : IRetentionInventory
{
    private const string Deferred = "deferred";
    private const string WatermarkKey = "SWEEP#retention";
    private const string DayFormat = "yyyy-MM-dd";
    private static readonly string ExpiryIndex = ResourceCatalog.Inventory.GlobalIndexes[1].Name;

    public static string DayPartition(string tenantId, DateOnly day, int shard) => $"TENANT#{tenantId}#EXPIRY#{day.ToString(DayFormat, CultureInfo.InvariantCulture)}#{shard}";

    public static string DeferredPartition(string tenantId, int shard) => $"TENANT#{tenantId}#EXPIRY#{Deferred}#{shard}";

    public async Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> DuePageAsync(
        string tenantId, DateTimeOffset asOf, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var lastDay = DateOnly.FromDateTime(asOf.UtcDateTime);
        var position = cursor is null ? new Position(Deferred, await FirstDayAsync(tenantId, cancellationToken), 0, null, null) : Position.Decode(cursor);
        var items = new List<InventoryItem>();
        while (true)
        {
            var partition = position.Bucket == Deferred ? DeferredPartition(tenantId, position.Shard) : DayPartition(tenantId, position.Day, position.Shard);
            var page = await dynamo.QueryUpToAsync(new QueryRequest
            {
                TableName = inventoryTable,
                IndexName = ExpiryIndex,
                KeyConditionExpression = "expiryPk = :p AND expirySk <= :due",
                // Hidden items too: an erasure's or a single delete's may come back (restored), and must then still meet its end.
                // Archived ones are here at the end of their archive period.
                FilterExpression = "#state IN (:active, :purging, :hidden, :archived)",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new()
                {
                    [":p"] = new() { S = partition },
                    [":due"] = new() { S = DueBound(asOf) },
                    [":active"] = new() { S = ItemStates.Name(ItemState.Active) },
                    [":purging"] = new() { S = ItemStates.Name(ItemState.Purging) },
                    [":hidden"] = new() { S = ItemStates.Name(ItemState.SoftDeleted) },
                    [":archived"] = new() { S = ItemStates.Name(ItemState.Archived) },
                },
                ExclusiveStartKey = position.LastSortKey is null ? null : StartKey(tenantId, partition, position),
            }, limit - items.Count, cancellationToken);
            items.AddRange(page.Select(InventoryItems.FromItem));
            if (items.Count >= limit)
            {
                var last = page[^1];
                return (items, (position with { LastSortKey = last["expirySk"].S, LastItemId = last["itemId"].S }).Encode());
            }

            var next = position.Next(lastDay);
            if (next is null)
            {
                return (items, null);
            }

            position = next;
        }
    }

    public async Task DeferAsync(string tenantId, IReadOnlyList<InventoryItem> items, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            try
            {
                await dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = inventoryTable,
                    Key = DynamoKeys.Of(tenantId, $"ITEM#{item.ItemId}"),
                    UpdateExpression = "SET expiryPk = :p, expirySk = :s",
                    // Only an item not purged meanwhile: a purged one must not come back into the index.
                    ConditionExpression = "#state IN (:active, :purging, :hidden, :archived)",
                    ExpressionAttributeNames = new() { ["#state"] = "state" },
                    ExpressionAttributeValues = new()
                    {
                        [":p"] = new() { S = DeferredPartition(tenantId, DynamoKeys.Shard(item.ItemId, DynamoRecordStore.ExpiryShards)) },
                        // After this run's bound, so this run does not read it again; before every later run's.
                        [":s"] = new() { S = $"{DueBound(asOf)}#{item.ItemId}" },
                        [":active"] = new() { S = ItemStates.Name(ItemState.Active) },
                        [":purging"] = new() { S = ItemStates.Name(ItemState.Purging) },
                        [":hidden"] = new() { S = ItemStates.Name(ItemState.SoftDeleted) },
                        [":archived"] = new() { S = ItemStates.Name(ItemState.Archived) },
                    },
                }, cancellationToken);
            }
            catch (ConditionalCheckFailedException)
            {
                // Moved on meanwhile: nothing to defer.
            }
        }
    }

    public async Task<bool> HasItemsLeftAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        var left = await dynamo.QueryUpToAsync(new QueryRequest
        {
            TableName = inventoryTable,
            IndexName = ResourceCatalog.Inventory.GlobalIndexes[0].Name,
            KeyConditionExpression = "subjectPk = :s",
            FilterExpression = "#state <> :purged",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new()
            {
                [":s"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subjectRef) },
                [":purged"] = new() { S = ItemStates.Name(ItemState.Purged) },
            },
        }, 1, cancellationToken);
        return left.Count > 0;
    }

    public async Task CompleteThroughAsync(string tenantId, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var day = DateOnly.FromDateTime(asOf.UtcDateTime).ToString(DayFormat, CultureInfo.InvariantCulture);
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = jobsTable,
                Key = DynamoKeys.Of(tenantId, WatermarkKey),
                UpdateExpression = "SET sweptFrom = :day, sweptAt = :at",
                ConditionExpression = "attribute_not_exists(sweptFrom) OR sweptFrom <= :day",
                ExpressionAttributeValues = new()
                {
                    [":day"] = new() { S = day },
                    [":at"] = new() { S = Timestamps.Format(asOf) },
                },
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // A later run got further already: the mark never moves back.
        }
    }

    /// <summary>Where a run starts: the day the last completed run was on (its later items were not due yet), or the tenant's first day.</summary>
    private async Task<DateOnly> FirstDayAsync(string tenantId, CancellationToken cancellationToken)
    {
        var mark = await dynamo.GetItemAsync(new GetItemRequest { TableName = jobsTable, Key = DynamoKeys.Of(tenantId, WatermarkKey), ConsistentRead = true }, cancellationToken);
        if (mark.IsItemSet && mark.Item.TryGetValue("sweptFrom", out var from))
        {
            return DateOnly.ParseExact(from.S, DayFormat, CultureInfo.InvariantCulture);
        }

        var tenant = await tenants.FindAsync(tenantId, cancellationToken);
        return DateOnly.FromDateTime((tenant?.CreatedAt ?? DateTimeOffset.UnixEpoch).UtcDateTime);
    }

    /// <summary>Sorts after every <c>{retainUntil}#{itemId}</c> whose retainUntil is not later than <paramref name="asOf"/>.</summary>
    private static string DueBound(DateTimeOffset asOf) => $"{Timestamps.Format(asOf)}#~";

    private static Dictionary<string, AttributeValue> StartKey(string tenantId, string partition, Position position)
    {
        var key = DynamoKeys.Of(tenantId, $"ITEM#{position.LastItemId}");
        key["expiryPk"] = new() { S = partition };
        key["expirySk"] = new() { S = position.LastSortKey };
        return key;
    }

    /// <summary>A bucket (the deferred one, or a day), a shard, and the last item read in it.</summary>
    private sealed record Position(string Bucket, DateOnly Day, int Shard, string? LastSortKey, string? LastItemId)
    {
        /// <summary>The first position of the next bucket, or null after the last shard of the run's day.</summary>
        public Position? Next(DateOnly lastDay)
        {
            if (Shard + 1 < DynamoRecordStore.ExpiryShards)
            {
                return this with { Shard = Shard + 1, LastSortKey = null, LastItemId = null };
            }

            if (Bucket == Deferred)
            {
                return Day > lastDay ? null : new Position("day", Day, 0, null, null);
            }

            return Day >= lastDay ? null : new Position("day", Day.AddDays(1), 0, null, null);
        }

        public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(
            string.Join('|', Bucket, Day.ToString(DayFormat, CultureInfo.InvariantCulture), Shard.ToString(CultureInfo.InvariantCulture), LastSortKey, LastItemId)));

        public static Position Decode(string cursor)
        {
            var parts = DynamoPaging.DecodeCursorText(cursor).Split('|');
            if (parts.Length != 5 || (parts[0] != Deferred && parts[0] != "day")
                || !DateOnly.TryParseExact(parts[1], DayFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var shard) || shard >= DynamoRecordStore.ExpiryShards)
            {
                throw new InvalidCursorException();
            }

            return new Position(parts[0], day, shard, parts[3].Length == 0 ? null : parts[3], parts[4].Length == 0 ? null : parts[4]);
        }
    }
}
