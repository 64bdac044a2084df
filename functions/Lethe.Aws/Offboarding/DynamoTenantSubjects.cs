using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Offboarding;

namespace Lethe.Aws.Offboarding;

/// <summary>
/// The subjects a tenant-wide export walks (DynamoDB): collected from the Inventory's tenant partition (every stored thing names
/// its subject ref) into the Manifests table as <c>OFFBOARD#{jobId}#SUBJECT#{ref}</c> (sorted, deduplicated by their key, expiring
/// with the table's TTL), then read back in order. Refs only: no subject id is ever written.
/// </summary>
public sealed class DynamoTenantSubjects(IAmazonDynamoDB dynamo, string inventoryTable, string manifestsTable, TimeProvider clock) : ITenantSubjects
{
    /// <summary>How long a list outlives its job at most (the offboarding's deadline, with room): the purge deletes it before that.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(120);

    private static string Prefix(string jobId) => $"OFFBOARD#{jobId}#SUBJECT#";

    private static string Excluded(string jobId, string subjectRef) => $"OFFBOARD#{jobId}#EXCLUDE#{subjectRef}";

    public async Task ExcludeAsync(string tenantId, string jobId, string subjectRef, CancellationToken cancellationToken)
    {
        var item = DynamoKeys.Of(tenantId, Excluded(jobId, subjectRef));
        item["expiresAt"] = new() { N = (clock.GetUtcNow() + Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) };
        await dynamo.PutItemAsync(new PutItemRequest { TableName = manifestsTable, Item = item }, cancellationToken);
    }

    public async Task<string?> CollectPageAsync(string tenantId, string jobId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var page = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = inventoryTable,
            KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :items)",
            ExpressionAttributeNames = new() { ["#pk"] = ResourceCatalog.PartitionKeyName, ["#sk"] = ResourceCatalog.SortKeyName, ["#ref"] = "subjectRef" },
            ExpressionAttributeValues = new() { [":pk"] = new() { S = DynamoKeys.TenantPartition(tenantId) }, [":items"] = new() { S = "ITEM#" } },
            ProjectionExpression = "#pk, #sk, #ref",
            ConsistentRead = true,
            Limit = Math.Clamp(limit, 1, 1000),
            ExclusiveStartKey = cursor is null ? null : DynamoKeys.Of(tenantId, cursor),
        }, cancellationToken);
        var expires = (clock.GetUtcNow() + Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var refs = page.Items.Select(i => i.GetValueOrDefault("subjectRef")?.S).OfType<string>().Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        foreach (var batch in refs.Chunk(25))
        {
            var pending = new Dictionary<string, List<WriteRequest>>
            {
                [manifestsTable] = batch.Select(r =>
                {
                    var item = DynamoKeys.Of(tenantId, Prefix(jobId) + r);
                    item["expiresAt"] = new() { N = expires };
                    return new WriteRequest { PutRequest = new PutRequest { Item = item } };
                }).ToList(),
            };
            for (var attempt = 1; pending.Count > 0; attempt++)
            {
                if (attempt > 8)
                {
                    throw new Domain.Errors.TransientException($"DynamoDB left the subject list of job {jobId} unwritten after 8 attempts.");
                }

                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellationToken);
                pending = response.UnprocessedItems is { Count: > 0 } left ? left : [];
            }
        }

        return page.LastEvaluatedKey is { Count: > 0 } last ? last[ResourceCatalog.SortKeyName].S : null;
    }

    public async Task<string?> NextAsync(string tenantId, string jobId, string? afterSubjectRef, CancellationToken cancellationToken)
    {
        var after = afterSubjectRef;
        while (true)
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = manifestsTable,
                KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames = new() { ["#pk"] = ResourceCatalog.PartitionKeyName, ["#sk"] = ResourceCatalog.SortKeyName },
                ExpressionAttributeValues = new() { [":pk"] = new() { S = DynamoKeys.TenantPartition(tenantId) }, [":prefix"] = new() { S = Prefix(jobId) } },
                ConsistentRead = true,
                Limit = 1,
                ExclusiveStartKey = after is null ? null : DynamoKeys.Of(tenantId, Prefix(jobId) + after),
            }, cancellationToken);
            if (page.Items.FirstOrDefault()?[ResourceCatalog.SortKeyName].S[Prefix(jobId).Length..] is not { } next)
            {
                return null;
            }

            var excluded = await dynamo.GetItemAsync(new GetItemRequest { TableName = manifestsTable, Key = DynamoKeys.Of(tenantId, Excluded(jobId, next)), ConsistentRead = true }, cancellationToken);
            if (!excluded.IsItemSet || excluded.Item is not { Count: > 0 })
            {
                return next;
            }

            after = next;
        }
    }
}
