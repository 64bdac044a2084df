using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Crypto;
using Lethe.Domain.Erasure;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Aws.Erasure;

/// <summary>Asks the tenant's legal holds whether one names the subject (holds are few per tenant; one query reads them all).</summary>
public sealed class LegalHoldCheck(ILegalHoldRepository holds) : IHoldCheck
{
    public async Task<bool> IsHeldAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) =>
        (await holds.ListAsync(tenantId, cancellationToken)).Any(h => h.SubjectRef == subjectRef);
}

/// <summary>
/// Rewraps survivors of an erasure in place: each sealed field of a record gets its DEK re-sealed under the fresh KEK (the value
/// itself is not touched), and the subject's directory entry likewise. Envelopes already under the fresh KEK are left alone, so a
/// replay does nothing twice.
/// </summary>
public sealed class DynamoSurvivorRewrapper(IAmazonDynamoDB dynamo, string recordsTable, string keysTable) : ISurvivorRewrapper
{
    public async Task RewrapRecordAsync(string tenantId, string subjectRef, InventoryItem item, SubjectKek current, SubjectKek fresh, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(fresh);
        if (!item.Location.TryGetValue("key", out var recordKey))
        {
            return;
        }

        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = recordsTable, Key = DynamoKeys.Of(tenantId, recordKey), ConsistentRead = true }, cancellationToken);
        if (!response.IsItemSet || response.Item is not { Count: > 0 } record || !record.TryGetValue("fields", out var fields) || fields.M is null)
        {
            return;
        }

        var rewrapped = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var (name, value) in fields.M)
        {
            var envelope = value.B?.ToArray();
            if (envelope is null || !FieldEnvelope.IsEnvelope(envelope) || FieldEnvelope.KeyIdOf(envelope) == fresh.KeyId)
            {
                rewrapped[name] = value;
                continue;
            }

            rewrapped[name] = new AttributeValue { B = new MemoryStream(FieldEnvelope.Rewrap(envelope, current, fresh, new EnvelopeContext(tenantId, subjectRef, record["recordId"].S, name))) };
        }

        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = recordsTable,
            Key = DynamoKeys.Of(tenantId, recordKey),
            UpdateExpression = "SET #fields = :fields",
            ExpressionAttributeNames = new() { ["#fields"] = "fields" },
            ExpressionAttributeValues = new() { [":fields"] = new() { M = rewrapped, IsMSet = true } },
        }, cancellationToken);
    }

    public async Task RewrapDirectoryAsync(string tenantId, string subjectRef, SubjectKek current, SubjectKek fresh, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fresh);
        var key = DynamoKeys.Of(tenantId, $"SUBJECT#{subjectRef}");
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = keysTable, Key = key, ConsistentRead = true }, cancellationToken);
        if (!response.IsItemSet || response.Item is not { Count: > 0 } item || item["sealedSubjectId"].B?.ToArray() is not { } sealedId
            || FieldEnvelope.KeyIdOf(sealedId) == fresh.KeyId)
        {
            return;
        }

        var rewrapped = FieldEnvelope.Rewrap(sealedId, current, fresh, RecordService.SubjectIdContext(tenantId, subjectRef));
        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = keysTable,
            Key = key,
            UpdateExpression = "SET sealedSubjectId = :sealed",
            ExpressionAttributeValues = new() { [":sealed"] = new() { B = new MemoryStream(rewrapped) } },
        }, cancellationToken);
    }
}
