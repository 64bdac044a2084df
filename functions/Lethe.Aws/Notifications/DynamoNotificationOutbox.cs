using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Records;
using Lethe.Catalog;
using Lethe.Domain;
using Lethe.Domain.Notifications;

namespace Lethe.Aws.Notifications;

/// <summary>
/// The outbox (API.md, GET …/notifications): one item per notice in the Jobs table beside the tenant's jobs
/// (<c>NOTICE#{requestId}#{event}[#{occurrence}]</c>, so a notice is recorded once and an offboarding's purge takes them with the jobs). Job
/// ids begin with their creation time, so listing the keys backwards shows the newest requests' notices first.
/// </summary>
public sealed class DynamoNotificationOutbox(IAmazonDynamoDB dynamo, string jobsTable) : INotificationOutbox
{
    private const string Prefix = "NOTICE#";

    public async Task<bool> RecordAsync(Notification notification, string channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var item = DynamoKeys.Of(notification.TenantId, Prefix + notification.Key);
        item["at"] = new() { S = Timestamps.Format(notification.At) };
        item["event"] = new() { S = notification.Event };
        item["requestId"] = new() { S = notification.RequestId };
        item["channel"] = new() { S = channel };
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest { TableName = jobsTable, Item = item, ConditionExpression = "attribute_not_exists(pk)" }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    public async Task<(IReadOnlyList<SentNotification> Items, string? NextCursor)> ListAsync(string tenantId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var partition = DynamoKeys.TenantPartition(tenantId);
        Dictionary<string, AttributeValue>? start = null;
        if (cursor is not null)
        {
            // A cursor names a notice key of this tenant, nothing else: another tenant's or a job's key is refused.
            string sortKey;
            try
            {
                sortKey = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            }
            catch (FormatException)
            {
                throw new InvalidCursorException();
            }

            if (!sortKey.StartsWith(Prefix, StringComparison.Ordinal) || sortKey.Length > 300)
            {
                throw new InvalidCursorException();
            }

            start = DynamoKeys.Of(tenantId, sortKey);
        }

        var page = await dynamo.QueryUpToAsync(new QueryRequest
        {
            TableName = jobsTable,
            KeyConditionExpression = "pk = :p AND begins_with(sk, :notice)",
            ExpressionAttributeValues = new() { [":p"] = new() { S = partition }, [":notice"] = new() { S = Prefix } },
            ScanIndexForward = false,
            ExclusiveStartKey = start,
        }, limit, cancellationToken);
        var items = page.Select(i => new SentNotification(Timestamps.Parse(i["at"].S), i["event"].S, i["requestId"].S, i["channel"].S)).ToList();
        var next = page.Count == limit ? Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1][ResourceCatalog.SortKeyName].S)) : null;
        return (items, next);
    }
}
