using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Catalog;
using Lethe.Domain.Audit;

namespace Lethe.Aws.Audit;

/// <summary>
/// The journal half of the audit trail: one item per event under <c>TENANT#t</c> / <c>EVENT#{time}#{id}</c>, written with a
/// condition so a replayed write is a no-op. Items start <c>chained = false</c>; the table's stream feeds the chainer.
/// Events of concurrent requests are group-committed: the first is written at once, and those that arrive while a write is
/// in flight go together in the next one (one transaction of up to <see cref="EventsPerWrite"/> conditional puts). Every
/// caller still returns only once its own event is durable.
/// </summary>
public sealed class DynamoAuditJournal(IAmazonDynamoDB dynamo, string tableName) : IAuditJournal
{
    public const string EventPrefix = "EVENT#";

    /// <summary>Events per group write: a transaction's puts, each conditional, so a replayed write still changes nothing.</summary>
    public const int EventsPerWrite = 25;

    private readonly Lock _gate = new();
    private readonly List<Waiting> _queue = [];
    private bool _writing;

    private sealed record Waiting(Put Put, TaskCompletionSource Done);

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
        if (!evt.EventId.Contains(':', StringComparison.Ordinal))
        {
            await GroupCommitAsync(put, cancellationToken);
            return;
        }

        try
        {
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

    /// <summary>
    /// Queues the put; the first caller with nothing in flight becomes the writer and writes queued events until none are left.
    /// A caller that gives up waiting (cancelled) does not cancel the write its event is part of.
    /// </summary>
    private Task GroupCommitAsync(Put put, CancellationToken cancellationToken)
    {
        var waiting = new Waiting(put, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        bool lead;
        lock (_gate)
        {
            _queue.Add(waiting);
            lead = !_writing;
            _writing = true;
        }

        if (lead)
        {
            _ = Task.Run(WriteQueuedAsync, CancellationToken.None);
        }

        return waiting.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteQueuedAsync()
    {
        while (true)
        {
            List<Waiting> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    return;
                }

                batch = _queue.GetRange(0, Math.Min(EventsPerWrite, _queue.Count));
                _queue.RemoveRange(0, batch.Count);
            }

            await WriteBatchAsync(batch);
        }
    }

    /// <summary>One transaction for the batch; if it fails for any reason, each event on its own, each caller told its own outcome.</summary>
    private async Task WriteBatchAsync(List<Waiting> batch)
    {
        if (batch.Count > 1)
        {
            try
            {
                await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
                {
                    TransactItems = batch.Select(w => new TransactWriteItem { Put = w.Put }).ToList(),
                    // The SDK's own retries of this write send the same token: DynamoDB applies it once.
                    ClientRequestToken = Guid.NewGuid().ToString("N"),
                }, CancellationToken.None);
                batch.ForEach(w => w.Done.TrySetResult());
                return;
            }
#pragma warning disable CA1031 // Whatever failed the group write (a condition, a duplicate, throttling), one event's trouble stays its own.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        foreach (var waiting in batch)
        {
            try
            {
                await PutOnceAsync(waiting.Put);
                waiting.Done.TrySetResult();
            }
#pragma warning disable CA1031 // The caller whose event this is sees the failure; the others are unaffected.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                waiting.Done.TrySetException(ex);
            }
        }
    }

    private async Task PutOnceAsync(Put put)
    {
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = put.TableName,
                Item = put.Item,
                ConditionExpression = put.ConditionExpression,
                ExpressionAttributeNames = put.ExpressionAttributeNames,
            }, CancellationToken.None);
        }
        catch (ConditionalCheckFailedException)
        {
            // Already journaled: the event exists exactly once.
        }
    }
}
