using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Aws.Jobs;
using Lethe.Domain;
using Lethe.Domain.Records;

namespace Lethe.Aws.Records;

/// <summary>
/// Restrictions in the Records table: the current state under <c>RESTRICTION#ref</c>, each change under
/// <c>RESTRICTIONLOG#ref#time#id</c>, and one inventory item per subject (kind <c>restriction</c>) so an erasure purges both.
/// Unlike a consent, the state is read whatever its item's state: a restriction an erasure soft-deleted still says how the
/// subject's (hidden) data may be processed, and hiding it would read as "not restricted".
/// </summary>
public sealed class DynamoRestrictionStore(IAmazonDynamoDB dynamo, string recordsTable, string inventoryTable, ErasureLocks locks) : IRestrictionStore
{
    /// <summary>The inventory item of a subject's restriction.</summary>
    public static string ItemId(string subjectRef)
    {
        ArgumentNullException.ThrowIfNull(subjectRef);
        return $"restriction-{subjectRef[..16]}";
    }

    public async Task SetAsync(string tenantId, string subjectRef, RestrictionState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var current = DynamoKeys.Of(tenantId, $"RESTRICTION#{subjectRef}");
        var change = DynamoKeys.Of(tenantId, $"RESTRICTIONLOG#{subjectRef}#{Timestamps.Format(state.UpdatedAt)}#{Guid.NewGuid():N}");
        foreach (var row in new[] { current, change })
        {
            row["subjectRef"] = new() { S = subjectRef };
            row["restricted"] = new() { BOOL = state.Restricted };
            row["at"] = new() { S = Timestamps.Format(state.UpdatedAt) };
            row["by"] = new() { S = state.UpdatedBy };
            if (state.Reason is not null)
            {
                row["reason"] = new() { S = state.Reason };
            }
        }

        var inventory = SubjectStateRows.InventoryItem(tenantId, subjectRef, ItemId(subjectRef), "restriction",
            $"RESTRICTION#{subjectRef}", $"RESTRICTIONLOG#{subjectRef}#", "restriction");
        List<TransactWriteItem> rows =
        [
            locks.AbsentCheck(tenantId, subjectRef),
            new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = current } },
            new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = change } },
        ];
        try
        {
            await locks.WriteAsync(tenantId, subjectRef, [.. rows, SubjectStateRows.PutUnlessSoftDeleted(inventoryTable, inventory)], lockIndex: 0, cancellationToken);
        }
        catch (TransactionCanceledException ex) when (ErasureLocks.IsConditionFailure(ex, 3))
        {
            // The item was soft-deleted by an erasure whose window is still open: the change is stored and the item left as the
            // erasure left it (a restore revives it with the latest state; the window's end purges both).
            await locks.WriteAsync(tenantId, subjectRef, rows, lockIndex: 0, cancellationToken);
        }
    }

    public async Task<RestrictionState> GetAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = recordsTable,
            Key = DynamoKeys.Of(tenantId, $"RESTRICTION#{subjectRef}"),
            ConsistentRead = true,
        }, cancellationToken);
        return response.Item is { Count: > 0 } row
            ? new RestrictionState(row["restricted"].BOOL == true, row.GetValueOrDefault("reason")?.S, Timestamps.Parse(row["at"].S), row["by"].S)
            : RestrictionState.None;
    }

    public async Task<IReadOnlyList<RestrictionChange>> HistoryAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) =>
        (await SubjectStateRows.QueryAsync(dynamo, recordsTable, tenantId, $"RESTRICTIONLOG#{subjectRef}#", cancellationToken))
            .Select(row => new RestrictionChange(row["restricted"].BOOL == true, row.GetValueOrDefault("reason")?.S, Timestamps.Parse(row["at"].S), row["by"].S))
            .ToList();
}
