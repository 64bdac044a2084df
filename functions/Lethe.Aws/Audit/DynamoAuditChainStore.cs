using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Audit;
using Lethe.Domain;

namespace Lethe.Aws.Audit;

/// <summary>
/// The chain half of the audit trail in the Audit table: <c>CHAIN#{seq:D12}</c> items, one <c>CHAINHEAD</c> item per tenant,
/// and the journal events (<c>EVENT#…</c>) found through the sparse <c>unchained</c> index.
/// </summary>
public sealed class DynamoAuditChainStore(IAmazonDynamoDB dynamo, string tableName) : IAuditChainStore
{
    private const string HeadKey = "CHAINHEAD";
    private const string ChainPrefix = "CHAIN#";

    private static string Pk(string tenantId) => $"TENANT#{tenantId}";

    private static Dictionary<string, AttributeValue> Key(string tenantId, string sortKey) => DynamoKeys.Of(tenantId, sortKey);

    public static string ChainKey(long seq) => $"{ChainPrefix}{seq.ToString("D12", CultureInfo.InvariantCulture)}";

    public async Task<ChainHead> ReadHeadAsync(string tenantId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = Key(tenantId, HeadKey), ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item
            ? new ChainHead(long.Parse(item["seq"].N, CultureInfo.InvariantCulture), item["hash"].S)
            : ChainHead.Empty;
    }

    public async Task<IReadOnlyList<PendingAuditEvent>> ReadPendingAsync(string tenantId, int limit, CancellationToken cancellationToken)
    {
        var page = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = tableName,
            IndexName = "unchained",
            KeyConditionExpression = "unchainedPk = :pk",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = new() { S = Pk(tenantId) } },
            Limit = limit,
        }, cancellationToken);
        return page.Items.Select(i => new PendingAuditEvent(i[ResourceCatalog.SortKeyName].S, EventFrom(i, i["tenantId"].S))).ToList();
    }

    public async Task<PendingAuditEvent?> OldestPendingAsync(string tenantId, CancellationToken cancellationToken)
    {
        var pending = await ReadPendingAsync(tenantId, 1, cancellationToken);
        return pending.Count > 0 ? pending[0] : null;
    }

    public async Task<IReadOnlyList<PendingAuditEvent>> ReadUnchainedAsync(string tenantId, IReadOnlyCollection<string> journalKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(journalKeys);
        var found = new List<PendingAuditEvent>();
        var keys = journalKeys.Distinct(StringComparer.Ordinal).Select(k => Key(tenantId, k)).ToList();
        for (var attempt = 0; keys.Count > 0; attempt++)
        {
            if (attempt > 0)
            {
                // Unprocessed keys (throttling) are asked again after a short, growing pause, as the SDK guide says.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 25 << Math.Min(attempt, 6))), cancellationToken);
            }

            var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
            {
                RequestItems = new Dictionary<string, KeysAndAttributes> { [tableName] = new() { Keys = keys, ConsistentRead = true } },
            }, cancellationToken);
            found.AddRange((response.Responses?.GetValueOrDefault(tableName) ?? [])
                .Where(i => i.TryGetValue("chained", out var chained) && chained.BOOL == false)
                .Select(i => new PendingAuditEvent(i[ResourceCatalog.SortKeyName].S, EventFrom(i, tenantId))));
            keys = response.UnprocessedKeys?.GetValueOrDefault(tableName)?.Keys ?? [];
        }

        return found;
    }

    public async Task<bool> TryLinkAsync(string tenantId, ChainHead expectedHead, IReadOnlyList<AuditLink> links, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expectedHead);
        ArgumentNullException.ThrowIfNull(links);
        if (links.Count is 0 or > AuditChainer.LinksPerWrite)
        {
            throw new ArgumentOutOfRangeException(nameof(links), links.Count, $"A write links 1 to {AuditChainer.LinksPerWrite} events.");
        }

        var actions = new List<TransactWriteItem>(1 + (2 * links.Count));
        foreach (var (pending, chained) in links)
        {
            var seq = chained.Seq.ToString(CultureInfo.InvariantCulture);
            var chainItem = Key(tenantId, ChainKey(chained.Seq));
            foreach (var (name, value) in EventAttributes(chained.Event))
            {
                chainItem[name] = value;
            }

            chainItem["seq"] = new() { N = seq };
            chainItem["prevHash"] = new() { S = chained.PrevHash };
            chainItem["hash"] = new() { S = chained.Hash };
            chainItem["journalKey"] = new() { S = pending.JournalKey };
            chainItem["timePk"] = new() { S = Pk(tenantId) };
            chainItem["timeSk"] = new() { S = TimePosition(chained.Event.At, chained.Seq) };
            actions.Add(new TransactWriteItem { Put = new Put { TableName = tableName, Item = chainItem, ConditionExpression = "attribute_not_exists(pk)" } });
            actions.Add(new TransactWriteItem
            {
                Update = new Update
                {
                    TableName = tableName,
                    Key = Key(tenantId, pending.JournalKey),
                    UpdateExpression = "SET chained = :true, seq = :seq REMOVE unchainedPk",
                    ConditionExpression = "chained = :false",
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":true"] = new() { BOOL = true },
                        [":false"] = new() { BOOL = false },
                        [":seq"] = new() { N = seq },
                    },
                },
            });
        }

        var last = links[^1].Chained;
        var lastSeq = last.Seq.ToString(CultureInfo.InvariantCulture);
        actions.Add(new TransactWriteItem
        {
            Update = new Update
            {
                TableName = tableName,
                Key = Key(tenantId, HeadKey),
                UpdateExpression = "SET seq = :seq, #hash = :hash",
                ConditionExpression = expectedHead.Seq == 0 ? "attribute_not_exists(pk)" : "seq = :expected",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#hash"] = "hash" },
                ExpressionAttributeValues = expectedHead.Seq == 0
                    ? new Dictionary<string, AttributeValue> { [":seq"] = new() { N = lastSeq }, [":hash"] = new() { S = last.Hash } }
                    : new Dictionary<string, AttributeValue>
                    {
                        [":seq"] = new() { N = lastSeq },
                        [":hash"] = new() { S = last.Hash },
                        [":expected"] = new() { N = expectedHead.Seq.ToString(CultureInfo.InvariantCulture) },
                    },
            },
        });
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

    public async IAsyncEnumerable<ChainedAuditEvent> ReadChainAsync(string tenantId, long fromSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "pk = :pk AND sk BETWEEN :from AND :to",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":pk"] = new() { S = Pk(tenantId) },
                    [":from"] = new() { S = ChainKey(Math.Max(fromSeq, 1)) },
                    [":to"] = new() { S = ChainKey(999_999_999_999) },
                },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken);
            foreach (var item in page.Items)
            {
                yield return Chained(item, tenantId);
            }

            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
    }

    public async Task<ChainedAuditEvent?> FindAsync(string tenantId, long seq, CancellationToken cancellationToken)
    {
        if (seq < 1)
        {
            return null;
        }

        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = Key(tenantId, ChainKey(seq)), ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? Chained(item, tenantId) : null;
    }

    public async IAsyncEnumerable<(ChainedAuditEvent Event, string Position)> ReadByTimeAsync(
        string tenantId, DateTimeOffset? since, DateTimeOffset? until, string? after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Positions are "{at}#{seq}": every bound below sorts before or after all positions of its time.
        // A cursor never reaches before the range it was issued for.
        var rangeStart = since is { } f ? AuditChain.FormatTime(f) : "0";
        var lower = after is not null && string.CompareOrdinal(after, rangeStart) > 0 ? after : rangeStart;
        var upper = until is { } t ? AuditChain.FormatTime(t) : "9";
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                IndexName = ResourceCatalog.Audit.GlobalIndexes[1].Name,
                KeyConditionExpression = "timePk = :pk AND timeSk BETWEEN :lower AND :upper",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":pk"] = new() { S = Pk(tenantId) },
                    [":lower"] = new() { S = lower },
                    [":upper"] = new() { S = upper },
                },
                ExclusiveStartKey = start,
            }, cancellationToken);
            foreach (var item in page.Items)
            {
                var position = item["timeSk"].S;
                // BETWEEN is inclusive: the position continued after, and events exactly at "until", are not in [since, until).
                if (position == after || string.CompareOrdinal(position, upper) >= 0)
                {
                    continue;
                }

                yield return (Chained(item, tenantId), position);
            }

            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
    }

    /// <summary>Where a chained event sorts in time: its time, then its seq (zero-padded so equal times keep seq order).</summary>
    public static string TimePosition(DateTimeOffset at, long seq) => $"{AuditChain.FormatTime(at)}#{seq.ToString("D12", CultureInfo.InvariantCulture)}";

    private static ChainedAuditEvent Chained(Dictionary<string, AttributeValue> item, string tenantId) =>
        new(EventFrom(item, tenantId), long.Parse(item["seq"].N, CultureInfo.InvariantCulture), item["prevHash"].S, item["hash"].S);

    private static Dictionary<string, AttributeValue> EventAttributes(AuditEvent evt) => new()
    {
        ["eventId"] = new() { S = evt.EventId },
        ["tenantId"] = new() { S = evt.TenantId },
        ["at"] = new() { S = AuditChain.FormatTime(evt.At) },
        ["actorSub"] = new() { S = evt.Actor.Sub },
        ["actorRole"] = new() { S = evt.Actor.Role },
        ["action"] = new() { S = evt.Action },
        ["target"] = new() { S = evt.Target },
        ["outcome"] = new() { S = evt.Outcome },
        ["details"] = new() { S = evt.Details.ValueKind == JsonValueKind.Undefined ? "{}" : evt.Details.GetRawText() },
    };

    private static AuditEvent EventFrom(Dictionary<string, AttributeValue> item, string tenantId)
    {
        using var details = JsonDocument.Parse(item.TryGetValue("details", out var d) ? d.S : "{}");
        return new AuditEvent(
            item["eventId"].S,
            tenantId,
            Timestamps.Parse(item["at"].S),
            new AuditActor(item["actorSub"].S, item["actorRole"].S),
            item["action"].S,
            item["target"].S,
            item["outcome"].S,
            details.RootElement.Clone());
    }
}
