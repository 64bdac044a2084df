using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Records;

namespace Lethe.Aws.Records;

/// <summary>
/// Consents in the Records table: the current state under <c>CONSENT#ref#purpose</c>, each change under
/// <c>CONSENTLOG#ref#time#purpose</c>, and one inventory item per purpose (kind <c>consent</c>) so erasure and export find them.
/// </summary>
public sealed class DynamoConsentStore(IAmazonDynamoDB dynamo, string recordsTable, string inventoryTable) : IConsentStore
{
    /// <summary>The inventory item of a subject's consent for one purpose.</summary>
    public static string ItemId(string subjectRef, string purpose)
    {
        ArgumentNullException.ThrowIfNull(subjectRef);
        return $"consent-{subjectRef[..16]}-{purpose}";
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static Dictionary<string, AttributeValue> Key(string tenantId, string sortKey) => DynamoKeys.Of(tenantId, sortKey);

    public async Task SetAsync(string tenantId, string subjectRef, ConsentState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var current = Key(tenantId, $"CONSENT#{subjectRef}#{state.Purpose}");
        current["subjectRef"] = new() { S = subjectRef };
        current["purpose"] = new() { S = state.Purpose };
        current["granted"] = new() { BOOL = state.Granted };
        current["updatedAt"] = new() { S = Time(state.UpdatedAt) };
        current["updatedBy"] = new() { S = state.UpdatedBy };
        var change = Key(tenantId, $"CONSENTLOG#{subjectRef}#{Time(state.UpdatedAt)}#{state.Purpose}#{Guid.NewGuid():N}");
        change["subjectRef"] = new() { S = subjectRef };
        change["purpose"] = new() { S = state.Purpose };
        change["granted"] = new() { BOOL = state.Granted };
        change["at"] = new() { S = Time(state.UpdatedAt) };
        change["by"] = new() { S = state.UpdatedBy };
        var inventory = Key(tenantId, $"ITEM#{ItemId(subjectRef, state.Purpose)}");
        inventory["itemId"] = new() { S = ItemId(subjectRef, state.Purpose) };
        inventory["kind"] = new() { S = "consent" };
        inventory["tenantId"] = new() { S = tenantId };
        inventory["subjectRef"] = new() { S = subjectRef };
        inventory["category"] = new() { S = "consent" };
        inventory["state"] = new() { S = ItemStates.Name(ItemState.Active) };
        inventory["classification"] = new() { S = "confidential" };
        inventory["visibility"] = new() { S = "shared" };
        inventory["location"] = new()
        {
            M = new Dictionary<string, AttributeValue>
            {
                ["store"] = new() { S = "dynamodb" },
                ["table"] = new() { S = ResourceCatalog.Records.LogicalName },
                ["key"] = new() { S = $"CONSENT#{subjectRef}#{state.Purpose}" },
                ["historyPrefix"] = new() { S = $"CONSENTLOG#{subjectRef}#" },
            },
        };
        inventory["subjectPk"] = new() { S = DynamoRecordStore.SubjectPartition(tenantId, subjectRef) };
        inventory["subjectSk"] = new() { S = $"consent#{state.Purpose}" };
        await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = current } },
                new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = change } },
                new TransactWriteItem { Put = new Put { TableName = inventoryTable, Item = inventory } },
            ],
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<ConsentState>> ListAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) =>
        (await QueryAsync(tenantId, $"CONSENT#{subjectRef}#", cancellationToken))
            .Select(i => new ConsentState(i["purpose"].S, i["granted"].BOOL == true, Parse(i["updatedAt"].S), i["updatedBy"].S))
            .OrderBy(c => c.Purpose, StringComparer.Ordinal).ToList();

    public async Task<IReadOnlyList<ConsentChange>> HistoryAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) =>
        (await QueryAsync(tenantId, $"CONSENTLOG#{subjectRef}#", cancellationToken))
            .Select(i => new ConsentChange(i["purpose"].S, i["granted"].BOOL == true, Parse(i["at"].S), i["by"].S)).ToList();

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private async Task<List<Dictionary<string, AttributeValue>>> QueryAsync(string tenantId, string prefix, CancellationToken cancellationToken)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = recordsTable,
                KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = new() { S = $"TENANT#{tenantId}" }, [":prefix"] = new() { S = prefix } },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken);
            items.AddRange(page.Items);
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return items;
    }
}
