using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Records;

namespace Lethe.Aws.Records;

/// <summary>The Subjects item in the Keys table (<c>TENANT#t</c> / <c>SUBJECT#ref</c>): the subject id, sealed under the subject's KEK.</summary>
public sealed class DynamoSubjectDirectory(IAmazonDynamoDB dynamo, string keysTable) : ISubjectDirectory
{
    public async Task EnsureAsync(string tenantId, string subjectRef, byte[] sealedSubjectId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = keysTable,
                Item = new Dictionary<string, AttributeValue>
                {
                    [ResourceCatalog.PartitionKeyName] = new() { S = $"TENANT#{tenantId}" },
                    [ResourceCatalog.SortKeyName] = new() { S = $"SUBJECT#{subjectRef}" },
                    ["subjectRef"] = new() { S = subjectRef },
                    ["sealedSubjectId"] = new() { B = new MemoryStream(sealedSubjectId) },
                    ["firstSeenAt"] = new() { S = at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) },
                },
                ConditionExpression = "attribute_not_exists(#pk)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName },
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Known already.
        }
    }
}
