using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Tenancy;

namespace Lethe.Aws.Tenants;

/// <summary>Legal holds in the Tenants table: <c>TENANT#t</c> / <c>HOLD#id</c>, holding the subject only as its ref.</summary>
public sealed class DynamoLegalHoldRepository(IAmazonDynamoDB dynamo, string tableName) : ILegalHoldRepository
{
    private const string Prefix = "HOLD#";

    public async Task CreateAsync(LegalHold hold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hold);
        var item = Key(hold.TenantId, hold.Id);
        item["holdId"] = new AttributeValue { S = hold.Id };
        item["subjectRef"] = new AttributeValue { S = hold.SubjectRef };
        item["reason"] = new AttributeValue { S = hold.Reason };
        item["createdAt"] = new AttributeValue { S = hold.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) };
        item["createdBy"] = new AttributeValue { S = hold.CreatedBy };
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = tableName,
            Item = item,
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName },
        }, cancellationToken);
    }

    public async Task<LegalHold?> FindAsync(string tenantId, string holdId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = Key(tenantId, holdId), ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? FromItem(tenantId, item) : null;
    }

    public async Task<bool> DeleteAsync(string tenantId, string holdId, CancellationToken cancellationToken)
    {
        var response = await dynamo.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = tableName,
            Key = Key(tenantId, holdId),
            ReturnValues = ReturnValue.ALL_OLD,
        }, cancellationToken);
        return response.Attributes is { Count: > 0 };
    }

    public async Task<IReadOnlyList<LegalHold>> ListAsync(string tenantId, CancellationToken cancellationToken)
    {
        var holds = new List<LegalHold>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName, ["#sk"] = ResourceCatalog.SortKeyName },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":pk"] = new() { S = DynamoTenantRepository.PartitionKey(tenantId) },
                    [":prefix"] = new() { S = Prefix },
                },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken);
            holds.AddRange(page.Items.Select(i => FromItem(tenantId, i)));
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return holds;
    }

    private static Dictionary<string, AttributeValue> Key(string tenantId, string holdId) => DynamoKeys.Of(tenantId, Prefix + holdId);

    private static LegalHold FromItem(string tenantId, Dictionary<string, AttributeValue> item) => new(
        item["holdId"].S,
        tenantId,
        item["subjectRef"].S,
        item["reason"].S,
        DateTimeOffset.Parse(item["createdAt"].S, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
        item["createdBy"].S);
}
