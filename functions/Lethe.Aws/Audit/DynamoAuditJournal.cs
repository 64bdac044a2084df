using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Catalog;
using Lethe.Domain.Audit;

namespace Lethe.Aws.Audit;

/// <summary>
/// The journal half of the audit trail: one item per event under <c>TENANT#t</c> / <c>EVENT#{time}#{id}</c>, written with a
/// condition so a replayed write is a no-op. Items start <c>chained = false</c>; the table's stream feeds the chainer.
/// </summary>
public sealed class DynamoAuditJournal(IAmazonDynamoDB dynamo, string tableName) : IAuditJournal
{
    public const string EventPrefix = "EVENT#";

    public static string SortKey(AuditEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return $"{EventPrefix}{evt.At.UtcDateTime.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture)}#{evt.EventId}";
    }

    /// <summary>
    /// Random ids (one per API request) cannot repeat, so a conditional put suffices. A deterministic id (a workflow step's,
    /// <c>{jobId}:{step}</c>) is guarded by an <c>ONCE#{id}</c> item written in the same transaction: a replay at another time
    /// (another sort key) still writes nothing.
    /// </summary>
    public async Task AppendAsync(AuditEvent evt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var item = new Dictionary<string, AttributeValue>
        {
            [ResourceCatalog.PartitionKeyName] = new() { S = $"TENANT#{evt.TenantId}" },
            [ResourceCatalog.SortKeyName] = new() { S = SortKey(evt) },
            ["kind"] = new() { S = "event" },
            ["eventId"] = new() { S = evt.EventId },
            ["tenantId"] = new() { S = evt.TenantId },
            ["at"] = new() { S = AuditChain.FormatTime(evt.At) },
            ["actorSub"] = new() { S = evt.Actor.Sub },
            ["actorRole"] = new() { S = evt.Actor.Role },
            ["action"] = new() { S = evt.Action },
            ["target"] = new() { S = evt.Target },
            ["outcome"] = new() { S = evt.Outcome },
            ["details"] = new() { S = evt.Details.ValueKind == System.Text.Json.JsonValueKind.Undefined ? "{}" : evt.Details.GetRawText() },
            ["chained"] = new() { BOOL = false },
            ["unchainedPk"] = new() { S = $"TENANT#{evt.TenantId}" },
        };
        var put = new Put
        {
            TableName = tableName,
            Item = item,
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName },
        };
        try
        {
            if (!evt.EventId.Contains(':', StringComparison.Ordinal))
            {
                await dynamo.PutItemAsync(new PutItemRequest
                {
                    TableName = put.TableName,
                    Item = put.Item,
                    ConditionExpression = put.ConditionExpression,
                    ExpressionAttributeNames = put.ExpressionAttributeNames,
                }, cancellationToken);
                return;
            }

            var guard = new Put
            {
                TableName = tableName,
                Item = new Dictionary<string, AttributeValue>
                {
                    [ResourceCatalog.PartitionKeyName] = new() { S = $"TENANT#{evt.TenantId}" },
                    [ResourceCatalog.SortKeyName] = new() { S = $"ONCE#{evt.EventId}" },
                    ["eventKey"] = new() { S = SortKey(evt) },
                },
                ConditionExpression = "attribute_not_exists(#pk)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName },
            };
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = [new() { Put = guard }, new() { Put = put }] }, cancellationToken);
        }
        catch (Exception ex) when (ex is ConditionalCheckFailedException or TransactionCanceledException)
        {
            // Already journaled (a retried request or handler): the event exists exactly once.
        }
    }
}
