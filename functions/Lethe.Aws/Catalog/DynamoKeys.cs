using Amazon.DynamoDBv2.Model;

namespace Lethe.Aws.Catalog;

/// <summary>Primary keys of every Lethe table: the partition is always the tenant (<c>TENANT#t</c>), so no key crosses tenants.</summary>
public static class DynamoKeys
{
    public static string TenantPartition(string tenantId) => $"TENANT#{tenantId}";

    public static Dictionary<string, AttributeValue> Of(string tenantId, string sortKey) => new()
    {
        [ResourceCatalog.PartitionKeyName] = new() { S = TenantPartition(tenantId) },
        [ResourceCatalog.SortKeyName] = new() { S = sortKey },
    };
}
