using Amazon.DynamoDBv2.Model;
using Lethe.Catalog;

namespace Lethe.Aws.Catalog;

/// <summary>Primary keys of every Lethe table: the partition is always the tenant (<c>TENANT#t</c>), so no key crosses tenants.</summary>
public static class DynamoKeys
{
    public static string TenantPartition(string tenantId) => $"TENANT#{tenantId}";

    /// <summary>A stable shard of an id (FNV-1a; string.GetHashCode is randomized per process, so it cannot place items).</summary>
    public static int Shard(string id, int shards)
    {
        ArgumentNullException.ThrowIfNull(id);
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)shards);
    }

    public static Dictionary<string, AttributeValue> Of(string tenantId, string sortKey) => new()
    {
        [ResourceCatalog.PartitionKeyName] = new() { S = TenantPartition(tenantId) },
        [ResourceCatalog.SortKeyName] = new() { S = sortKey },
    };
}
