using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace Lethe.Aws.Catalog;

public static class DynamoPaging
{
    /// <summary>
    /// Runs a query (whose filter may drop items) until it has <paramref name="limit"/> items or the key range ends; the last
    /// item returned is where the next page starts. The request's <c>ExclusiveStartKey</c> is the first page's start.
    /// </summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> QueryUpToAsync(
        this IAmazonDynamoDB dynamo, QueryRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentNullException.ThrowIfNull(request);
        var items = new List<Dictionary<string, AttributeValue>>();
        request.Limit = limit;
        do
        {
            var page = await dynamo.QueryAsync(request, cancellationToken);
            items.AddRange(page.Items.Take(limit - items.Count));
            request.ExclusiveStartKey = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (items.Count < limit && request.ExclusiveStartKey is not null);

        return items;
    }

    /// <summary>Every item of the tenant's partition whose sort key begins with <paramref name="prefix"/>, read consistently, page by page.</summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> QueryPrefixAsync(
        this IAmazonDynamoDB dynamo, string tableName, string tenantId, string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        var items = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = Lethe.Catalog.ResourceCatalog.PartitionKeyName, ["#sk"] = Lethe.Catalog.ResourceCatalog.SortKeyName },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":pk"] = new() { S = DynamoKeys.TenantPartition(tenantId) },
                    [":prefix"] = new() { S = prefix },
                },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken);
            items.AddRange(page.Items);
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return items;
    }

    /// <summary>The text inside a list cursor this API issued (base64); anything else is an <see cref="Records.InvalidCursorException"/>.</summary>
    public static string DecodeCursorText(string cursor)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
        }
        catch (FormatException)
        {
            throw new Records.InvalidCursorException();
        }
    }
}
