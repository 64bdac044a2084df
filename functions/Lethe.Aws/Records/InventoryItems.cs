using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Lethe.Domain;
using Lethe.Domain.Records;

namespace Lethe.Aws.Records;

/// <summary>The one reading of an Inventory table item, for the listing, the erasure and the sweep alike.</summary>
public static class InventoryItems
{
    public static InventoryItem FromItem(Dictionary<string, AttributeValue> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        string? Text(string name) => item.TryGetValue(name, out var v) ? v.S : null;
        return new InventoryItem(
            item["itemId"].S,
            item["kind"].S,
            Text("category") ?? "unknown",
            ItemStates.Parse(item["state"].S),
            (item.TryGetValue("location", out var l) ? l.M : null)?.ToDictionary(p => p.Key, p => p.Value.S, StringComparer.Ordinal) ?? new Dictionary<string, string>(),
            Text("purgeAt") is { } purgeAt ? Timestamps.Parse(purgeAt) : null,
            Text("erasureJobId"),
            item.TryGetValue("encrypted", out var e) && e.BOOL == true,
            item.TryGetValue("versionsDeleted", out var v) && v.N is not null ? long.Parse(v.N, CultureInfo.InvariantCulture) : 0,
            Text("subjectRef"),
            Text("restoredFrom"),
            Text("classification"),
            Text("visibility"),
            Text("retainUntil") is { } retainUntil ? Timestamps.Parse(retainUntil) : null,
            Text("purgedBy"))
        {
            ArchivedUntil = Text("archivedUntil") is { } archivedUntil ? Timestamps.Parse(archivedUntil) : null,
            ArchivedBy = Text("archivedBy"),
            PurgedAt = Text("purgedAt") is { } purgedAt ? Timestamps.Parse(purgedAt) : null,
            RetrievedUntil = Text("retrievedUntil") is { } retrievedUntil ? Timestamps.Parse(retrievedUntil) : null,
            RetrievedBy = Text("retrievedBy"),
            FileName = Text("fileName"),
            HiddenFrom = Text("hiddenFrom") is { } hiddenFrom ? ItemStates.Parse(hiddenFrom) : null,
            Masked = item.TryGetValue("masked", out var masked) && masked.BOOL == true,
        };
    }
}
