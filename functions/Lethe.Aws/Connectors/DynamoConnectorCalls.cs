using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain;
using Lethe.Domain.Connectors;

namespace Lethe.Aws.Connectors;

/// <summary>
/// A job's calls to its connectors in the Tenants table (<c>TENANT#t</c> / <c>CONNCALL#{jobId}#{connector}</c>): the task token
/// of the waiting call, then the answer. Sending again replaces a call unless it was answered <c>done</c>; an answer is written
/// once, on the condition that the call waits. Nothing of the subject is stored here.
/// </summary>
public sealed class DynamoConnectorCalls(IAmazonDynamoDB dynamo, string tableName) : IConnectorCalls
{
    private const string Prefix = "CONNCALL#";
    private const string Waiting = "waiting";
    private const string Answered = "answered";

    public Task<IReadOnlyList<ConnectorCall>> ListAsync(string tenantId, string jobId, CancellationToken cancellationToken) =>
        QueryAsync(tenantId, $"{Prefix}{jobId}#", null, cancellationToken);

    public Task<IReadOnlyList<ConnectorCall>> WaitingForAsync(string tenantId, string connector, CancellationToken cancellationToken) =>
        QueryAsync(tenantId, Prefix, connector, cancellationToken);

    private async Task<IReadOnlyList<ConnectorCall>> QueryAsync(string tenantId, string prefix, string? waitingFor, CancellationToken cancellationToken) =>
        [.. (await dynamo.QueryPrefixAsync(tableName, tenantId, prefix, cancellationToken))
            .Where(i => waitingFor is null || (i["connector"].S == waitingFor && i.GetValueOrDefault("state")?.S == Waiting))
            .Select(FromItem)];

    public async Task<bool> OpenAsync(string tenantId, string jobId, string connector, string taskToken, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        var item = Key(tenantId, jobId, connector);
        item["jobId"] = new AttributeValue { S = jobId };
        item["connector"] = new AttributeValue { S = connector };
        item["state"] = new AttributeValue { S = Waiting };
        item["taskToken"] = new AttributeValue { S = taskToken };
        item["sentAt"] = new AttributeValue { S = Time(sentAt) };
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = item,
                ConditionExpression = "attribute_not_exists(#pk) OR attribute_not_exists(#answer) OR #answer <> :done",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName, ["#answer"] = "answerStatus" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":done"] = new() { S = ConnectorAnswer.Done } },
            }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    public async Task<ConnectorCall?> AnswerAsync(string tenantId, string jobId, string connector, ConnectorAnswer answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var values = new Dictionary<string, AttributeValue>
        {
            [":waiting"] = new() { S = Waiting },
            [":answered"] = new() { S = Answered },
            [":status"] = new() { S = answer.Status },
            [":items"] = new() { N = answer.Items.ToString(CultureInfo.InvariantCulture) },
            [":at"] = new() { S = Time(answer.At) },
        };
        var set = "#state = :answered, answerStatus = :status, answerItems = :items, answeredAt = :at";
        if (answer.Message is { Length: > 0 } message)
        {
            values[":message"] = new AttributeValue { S = message };
            set += ", answerMessage = :message";
        }

        try
        {
            var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = Key(tenantId, jobId, connector),
                UpdateExpression = "SET " + set + (answer.Message is { Length: > 0 } ? string.Empty : " REMOVE answerMessage"),
                ConditionExpression = "#state = :waiting",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#state"] = "state" },
                ExpressionAttributeValues = values,
                ReturnValues = ReturnValue.ALL_OLD,
            }, cancellationToken);
            return FromItem(response.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    private static Dictionary<string, AttributeValue> Key(string tenantId, string jobId, string connector) => DynamoKeys.Of(tenantId, $"{Prefix}{jobId}#{connector}");

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static ConnectorCall FromItem(Dictionary<string, AttributeValue> item)
    {
        var answer = item.GetValueOrDefault("answerStatus")?.S is { } status
            ? new ConnectorAnswer(status, long.Parse(item["answerItems"].N, CultureInfo.InvariantCulture), item.GetValueOrDefault("answerMessage")?.S, Timestamps.Parse(item["answeredAt"].S))
            : null;
        return new ConnectorCall(item["jobId"].S, item["connector"].S, Timestamps.Parse(item["sentAt"].S), item.GetValueOrDefault("taskToken")?.S, answer);
    }
}
