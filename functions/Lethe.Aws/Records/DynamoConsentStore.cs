using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Aws.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain;

namespace Lethe.Aws.Records;

/// <summary>
/// Consents in the Records table: the current state under <c>CONSENT#ref#purpose</c>, each change under
/// <c>CONSENTLOG#ref#time#purpose</c>, and one inventory item per purpose (kind <c>consent</c>) so erasure and export find them.
/// Reads follow the inventory item's state: a consent an erasure soft-deleted is hidden, and a write may not revive it.
/// </summary>
public sealed class DynamoConsentStore(IAmazonDynamoDB dynamo, string recordsTable, string inventoryTable, ErasureLocks locks) : IConsentStore
{
    /// <summary>The inventory item of a subject's consent for one purpose.</summary>
    public static string ItemId(string subjectRef, string purpose)
    {
        ArgumentNullException.ThrowIfNull(subjectRef);
        return $"consent-{subjectRef[..16]}-{purpose}";
    }

    private static string Time(DateTimeOffset at) => Timestamps.Format(at);

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
        var inventory = SubjectStateRows.InventoryItem(tenantId, subjectRef, ItemId(subjectRef, state.Purpose), "consent",
            $"CONSENT#{subjectRef}#{state.Purpose}", $"CONSENTLOG#{subjectRef}#", $"consent#{state.Purpose}");
        try
        {
            await locks.WriteAsync(tenantId, subjectRef,
            [
                locks.AbsentCheck(tenantId, subjectRef),
                new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = current } },
                new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = change } },
                // A purged consent (its subject erased earlier) starts afresh; a soft-deleted one is never revived.
                SubjectStateRows.PutUnlessSoftDeleted(inventoryTable, inventory),
            ], lockIndex: 0, cancellationToken);
        }
        catch (TransactionCanceledException ex) when (ErasureLocks.IsConditionFailure(ex, 3))
        {
            if (state.Granted)
            {
                throw new ConsentSoftDeletedException(state.Purpose);
            }

            // A withdrawal is never refused (GDPR Art. 7(3)): it is stored with its history while the consent stays hidden,
            // so every reader already treats it as not granted; the soft-deleted item is left as the erasure left it.
            await locks.WriteAsync(tenantId, subjectRef,
            [
                locks.AbsentCheck(tenantId, subjectRef),
                new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = current } },
                new TransactWriteItem { Put = new Put { TableName = recordsTable, Item = change } },
            ], lockIndex: 0, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<ConsentState>> ListAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        var current = await QueryAsync(tenantId, $"CONSENT#{subjectRef}#", cancellationToken);
        var visible = await ActivePurposesAsync(tenantId, subjectRef, current.Select(i => i["purpose"].S), cancellationToken);
        return current.Where(i => visible.Contains(i["purpose"].S))
            .Select(i => new ConsentState(i["purpose"].S, i["granted"].BOOL == true, Parse(i["updatedAt"].S), i["updatedBy"].S))
            .OrderBy(c => c.Purpose, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<ConsentChange>> HistoryAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        var changes = await QueryAsync(tenantId, $"CONSENTLOG#{subjectRef}#", cancellationToken);
        var visible = await ActivePurposesAsync(tenantId, subjectRef, changes.Select(i => i["purpose"].S), cancellationToken);
        return changes.Where(i => visible.Contains(i["purpose"].S))
            .Select(i => new ConsentChange(i["purpose"].S, i["granted"].BOOL == true, Parse(i["at"].S), i["by"].S)).ToList();
    }

    /// <summary>Which of <paramref name="purposes"/> have an active inventory item (consistent reads of the items, 100 keys a call).</summary>
    private async Task<HashSet<string>> ActivePurposesAsync(string tenantId, string subjectRef, IEnumerable<string> purposes, CancellationToken cancellationToken)
    {
        var active = new HashSet<string>(StringComparer.Ordinal);
        var byItem = purposes.Distinct(StringComparer.Ordinal).ToDictionary(p => ItemId(subjectRef, p), p => p, StringComparer.Ordinal);
        foreach (var chunk in byItem.Keys.Chunk(100))
        {
            KeysAndAttributes? keys = new()
            {
                Keys = chunk.Select(id => Key(tenantId, $"ITEM#{id}")).ToList(),
                ConsistentRead = true,
                ProjectionExpression = "itemId, #state",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
            };
            for (var attempt = 0; keys is { Keys.Count: > 0 }; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 25 << Math.Min(attempt, 6))), cancellationToken);
                }

                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = new() { [inventoryTable] = keys } }, cancellationToken);
                foreach (var item in response.Responses?.GetValueOrDefault(inventoryTable) ?? [])
                {
                    if (item["state"].S == ItemStates.Name(ItemState.Active))
                    {
                        active.Add(byItem[item["itemId"].S]);
                    }
                }

                keys = response.UnprocessedKeys?.GetValueOrDefault(inventoryTable);
            }
        }

        return active;
    }

    private static DateTimeOffset Parse(string value) => Timestamps.Parse(value);

    private Task<List<Dictionary<string, AttributeValue>>> QueryAsync(string tenantId, string prefix, CancellationToken cancellationToken) =>
        SubjectStateRows.QueryAsync(dynamo, recordsTable, tenantId, prefix, cancellationToken);
}
