using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Tenancy;
using Lethe.Domain;

namespace Lethe.Aws.Tenants;

/// <summary>
/// Legal holds in the Tenants table: <c>TENANT#t</c> / <c>HOLD#id</c>, holding the subject only as its ref; and, written in the
/// same transaction, the subject's hold marker (<see cref="LegalHoldMarker"/>) that every move to purging checks in its own
/// transaction, so a hold placed after a step's check still stops the purge.
/// </summary>
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
        await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new() { Put = new Put
                {
                    TableName = tableName,
                    Item = item,
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName },
                } },
                new() { Update = LegalHoldMarker.Change(tableName, hold.TenantId, hold.SubjectRef, hold.Id, "ADD") },
            ],
        }, cancellationToken);
    }

    public async Task<LegalHold?> FindAsync(string tenantId, string holdId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = Key(tenantId, holdId), ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? FromItem(tenantId, item) : null;
    }

    public async Task<bool> DeleteAsync(string tenantId, string holdId, CancellationToken cancellationToken)
    {
        if (await FindAsync(tenantId, holdId, cancellationToken) is not { } hold)
        {
            return false;
        }

        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
            {
                TransactItems =
                [
                    new() { Delete = new Delete
                    {
                        TableName = tableName,
                        Key = Key(tenantId, holdId),
                        // Of two concurrent releases one deletes; the other finds it gone (404).
                        ConditionExpression = "attribute_exists(#pk)",
                        ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName },
                    } },
                    new() { Update = LegalHoldMarker.Change(tableName, tenantId, hold.SubjectRef, holdId, "DELETE") },
                ],
            }, cancellationToken);
            return true;
        }
        catch (TransactionCanceledException)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<LegalHold>> ListAsync(string tenantId, CancellationToken cancellationToken) =>
        [.. (await dynamo.QueryPrefixAsync(tableName, tenantId, Prefix, cancellationToken)).Select(i => FromItem(tenantId, i))];

    private static Dictionary<string, AttributeValue> Key(string tenantId, string holdId) => DynamoKeys.Of(tenantId, Prefix + holdId);

    private static LegalHold FromItem(string tenantId, Dictionary<string, AttributeValue> item) => new(
        item["holdId"].S,
        tenantId,
        item["subjectRef"].S,
        item["reason"].S,
        Timestamps.Parse(item["createdAt"].S),
        item["createdBy"].S);
}

/// <summary>
/// The subject's hold marker: <c>TENANT#t</c> / <c>SUBJECTHOLDS#ref</c> with the ids of the holds that name the subject
/// (<c>holdIds</c>, a string set that DynamoDB drops when its last id is removed). A move to purging carries
/// <see cref="NotHeld"/> in its transaction.
/// </summary>
public static class LegalHoldMarker
{
    private const string Prefix = "SUBJECTHOLDS#";

    public static Dictionary<string, AttributeValue> Key(string tenantId, string subjectRef) => DynamoKeys.Of(tenantId, Prefix + subjectRef);

    /// <summary>Adds (<c>ADD</c>) or removes (<c>DELETE</c>) one hold id.</summary>
    public static Update Change(string tableName, string tenantId, string subjectRef, string holdId, string operation) => new()
    {
        TableName = tableName,
        Key = Key(tenantId, subjectRef),
        UpdateExpression = $"{operation} holdIds :id",
        ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":id"] = new() { SS = [holdId] } },
    };

    /// <summary>Holds while no hold names the subject (a missing marker included).</summary>
    public static ConditionCheck NotHeld(string tableName, string tenantId, string subjectRef) => new()
    {
        TableName = tableName,
        Key = Key(tenantId, subjectRef),
        ConditionExpression = "attribute_not_exists(holdIds)",
    };
}
