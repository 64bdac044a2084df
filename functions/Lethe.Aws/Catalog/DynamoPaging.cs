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
