using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Erasure;
using Lethe.Domain.Records;

namespace Lethe.Aws.Erasure;

/// <summary>
/// An erasure's page manifests, items of the Manifests table (<c>MANIFEST#{jobId}#{page}#{part}</c>): per item its
/// id, kind, category, location and whether it is sealed, in parts of at most <see cref="PartBytes"/> (DynamoDB's item limit
/// is 400 KB): a page of short keys fits one part, long object keys take two or three. They hold ids and storage keys, never data, and expire after <see cref="Lifetime"/> should
/// the job never complete (a cancelled erasure leaves them).
/// </summary>
public sealed class DynamoErasureManifests(IAmazonDynamoDB dynamo, string manifestsTable) : IErasureManifests
{
    public const int PartBytes = 350_000;

    /// <summary>What an entry adds to an item beyond its strings: attribute names, map and list framing.</summary>
    private const int EntryOverhead = 48;

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(400);

    public async Task WriteAsync(string tenantId, string jobId, long page, IReadOnlyList<InventoryItem> items, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var parts = Parts(items);
        var expires = (at + Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        for (var part = 0; part < parts.Count; part++)
        {
            var item = DynamoKeys.Of(tenantId, PartKey(jobId, page, part));
            item["parts"] = new() { N = parts.Count.ToString(CultureInfo.InvariantCulture) };
            item["entries"] = new() { L = parts[part].Select(Entry).ToList(), IsLSet = true };
            item["expiresAt"] = new() { N = expires };
            await dynamo.PutItemAsync(new PutItemRequest { TableName = manifestsTable, Item = item }, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<InventoryItem>?> ReadAsync(string tenantId, string jobId, long page, CancellationToken cancellationToken)
    {
        var first = await dynamo.GetItemAsync(new GetItemRequest { TableName = manifestsTable, Key = DynamoKeys.Of(tenantId, PartKey(jobId, page, 0)), ConsistentRead = true }, cancellationToken);
        if (first.Item is not { Count: > 0 } head)
        {
            return null;
        }

        var items = head["entries"].L.Select(FromEntry).ToList();
        var parts = int.Parse(head["parts"].N, CultureInfo.InvariantCulture);
        for (var part = 1; part < parts; part++)
        {
            var next = await dynamo.GetItemAsync(new GetItemRequest { TableName = manifestsTable, Key = DynamoKeys.Of(tenantId, PartKey(jobId, page, part)), ConsistentRead = true }, cancellationToken);
            if (next.Item is not { Count: > 0 } found)
            {
                // Never read as a shorter page: the items of the missing part would be neither purged nor counted.
                throw new InvalidOperationException($"Part {part} of manifest page {page} of job {jobId} is missing; the page cannot be purged.");
            }

            items.AddRange(found["entries"].L.Select(FromEntry));
        }

        return items;
    }

    public Task DeleteAsync(string tenantId, string jobId, CancellationToken cancellationToken) =>
        DeleteFromAsync(tenantId, jobId, $"MANIFEST#{jobId}#", cancellationToken);

    public Task DeleteAfterAsync(string tenantId, string jobId, long lastPage, CancellationToken cancellationToken) =>
        // Every part key of a later page sorts after "…#{lastPage}#~".
        DeleteFromAsync(tenantId, jobId, PartKey(jobId, lastPage, 0)[..^4] + "~", cancellationToken);

    /// <summary>Deletes the job's manifest parts whose key sorts at or after <paramref name="from"/>.</summary>
    private async Task DeleteFromAsync(string tenantId, string jobId, string from, CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = manifestsTable,
                KeyConditionExpression = "pk = :p AND sk BETWEEN :from AND :to",
                ExpressionAttributeValues = new()
                {
                    [":p"] = new() { S = DynamoKeys.TenantPartition(tenantId) },
                    [":from"] = new() { S = from },
                    [":to"] = new() { S = $"MANIFEST#{jobId}#~" },
                },
                ProjectionExpression = "pk, sk",
                ExclusiveStartKey = start,
            }, cancellationToken);
            foreach (var key in page.Items)
            {
                await dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = manifestsTable, Key = key }, cancellationToken);
            }

            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);
    }

    /// <summary>The page cut into parts that each stay under <see cref="PartBytes"/> (an empty page is one empty part).</summary>
    private static List<List<InventoryItem>> Parts(IReadOnlyList<InventoryItem> items)
    {
        var parts = new List<List<InventoryItem>> { new() };
        var bytes = 0;
        foreach (var item in items)
        {
            var size = EntryOverhead + System.Text.Encoding.UTF8.GetByteCount(item.ItemId) + item.Kind.Length + item.Category.Length
                + item.Location.Sum(p => p.Key.Length + System.Text.Encoding.UTF8.GetByteCount(p.Value));
            if (bytes + size > PartBytes && parts[^1].Count > 0)
            {
                parts.Add([]);
                bytes = 0;
            }

            parts[^1].Add(item);
            bytes += size;
        }

        return parts;
    }

    private static string PartKey(string jobId, long page, int part) =>
        $"MANIFEST#{jobId}#{page.ToString("D10", CultureInfo.InvariantCulture)}#{part.ToString("D4", CultureInfo.InvariantCulture)}";

    private static AttributeValue Entry(InventoryItem item) => new()
    {
        M = new()
        {
            ["i"] = new() { S = item.ItemId },
            ["k"] = new() { S = item.Kind },
            ["c"] = new() { S = item.Category },
            ["cl"] = new() { S = item.Classification ?? "unknown" },
            ["l"] = new() { M = item.Location.ToDictionary(p => p.Key, p => new AttributeValue { S = p.Value }, StringComparer.Ordinal) },
            ["e"] = new() { BOOL = item.Encrypted },
        },
    };

    private static InventoryItem FromEntry(AttributeValue entry)
    {
        var m = entry.M;
        return new InventoryItem(
            m["i"].S, m["k"].S, m["c"].S, ItemState.SoftDeleted,
            m["l"].M.ToDictionary(p => p.Key, p => p.Value.S, StringComparer.Ordinal),
            Encrypted: m.TryGetValue("e", out var e) && e.BOOL == true,
            Classification: m.TryGetValue("cl", out var cl) ? cl.S : null);
    }
}
