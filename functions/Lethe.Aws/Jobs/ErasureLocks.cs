using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Errors;

namespace Lethe.Aws.Jobs;

/// <summary>
/// A subject's erasure lock: the item <c>TENANT#t</c> / <c>ERASURE#ref</c> in the Jobs table, there while an erasure of the
/// subject is open. Every write for a subject carries <see cref="AbsentCheck"/> in its own transaction, so a write and an erasure
/// submission can never both win (a read before the write could not promise that).
/// </summary>
public sealed class ErasureLocks(IAmazonDynamoDB dynamo, string jobsTable)
{
    public static string SortKey(string subjectRef) => $"ERASURE#{subjectRef}";

    public string Table => jobsTable;

    /// <summary>A transaction action that holds only while no erasure of the subject is open.</summary>
    public TransactWriteItem AbsentCheck(string tenantId, string subjectRef) => new()
    {
        ConditionCheck = new ConditionCheck
        {
            TableName = jobsTable,
            Key = DynamoKeys.Of(tenantId, SortKey(subjectRef)),
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new() { ["#pk"] = ResourceCatalog.PartitionKeyName },
        },
    };

    /// <summary>The open erasure's job id, or null.</summary>
    public async Task<string?> OpenJobAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = jobsTable, Key = DynamoKeys.Of(tenantId, SortKey(subjectRef)), ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item && item.TryGetValue("jobId", out var id) ? id.S : null;
    }

    /// <summary>
    /// Runs <paramref name="actions"/> (which hold <see cref="AbsentCheck"/> at <paramref name="lockIndex"/>) as one transaction.
    /// Cancelled by the lock → <see cref="ErasureInProgressException"/> naming the open erasure; any other cancellation is rethrown.
    /// </summary>
    public async Task WriteAsync(string tenantId, string subjectRef, List<TransactWriteItem> actions, int lockIndex, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actions);
        try
        {
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = actions }, cancellationToken);
        }
        catch (TransactionCanceledException ex) when (IsConditionFailure(ex, lockIndex))
        {
            throw new ErasureInProgressException(await OpenJobAsync(tenantId, subjectRef, cancellationToken));
        }
    }

    public static bool IsConditionFailure(TransactionCanceledException exception, int index)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var reasons = exception.CancellationReasons ?? [];
        return index < reasons.Count && reasons[index].Code == "ConditionalCheckFailed";
    }
}
