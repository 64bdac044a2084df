using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Domain.Crypto;

namespace Lethe.Aws.Keys;

/// <summary>
/// Subject KEKs as KMS data keys under the tenant key, with the encryption context {tenant, subject} (the subject as its ref,
/// never the id), kept wrapped in the Keys table (<c>TENANT#t</c> / <c>KEK#ref</c>) and unwrapped through KMS Decrypt into the
/// <see cref="KekCache"/>. Deleting the item is crypto-shredding. The tenant's subject-ref key is kept the same way
/// (<c>SUBJECTREFKEY</c>, context {tenant, purpose: subject-ref}).
/// </summary>
public sealed class KmsKeyHierarchy : IKeyHierarchy, Lethe.Domain.Erasure.ISubjectKeyShredder, Lethe.Domain.Retention.IRetentionKeyShredder, Lethe.Domain.Replay.IKekReshredder, Lethe.Domain.KeyRotation.IKeyRewrapper
{
    private readonly IAmazonKeyManagementService _kms;
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _table;
    private readonly KekCache _cache;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _keyStateInterval;
    private readonly Jobs.ErasureLocks? _creationGuard;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _keyVerifiedAt = new(StringComparer.Ordinal);

    /// <param name="keyStateInterval">How long a tenant key stays trusted as enabled: a revoked (disabled or deleted) key stops
    /// cached KEKs within this time, while a warm writer still makes no KMS call per write.</param>
    /// <param name="creationGuard">Where the writers' side (the API) creates subject KEKs: a KEK is created only in a transaction
    /// that checks the subject's erasure lock, so no key appears for a subject under erasure. Readers and the erasure itself pass none.</param>
    public KmsKeyHierarchy(
        IAmazonKeyManagementService kms, IAmazonDynamoDB dynamo, string keysTable, KekCache cache, TimeProvider clock, TimeSpan? keyStateInterval = null, Jobs.ErasureLocks? creationGuard = null)
    {
        _creationGuard = creationGuard;
        _kms = kms;
        _dynamo = dynamo;
        _table = keysTable;
        _cache = cache;
        _clock = clock;
        _keyStateInterval = keyStateInterval ?? TimeSpan.FromMinutes(1);
    }

    public async Task<SubjectKek> GetOrCreateSubjectKekAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken)
    {
        await EnsureTenantKeyUsableAsync(tenantId, tenantKeyArn, cancellationToken);
        // No read here: the write that seals under this KEK checks it is still the stored one in its own transaction
        // (KekCurrentCheck), so a KEK shredded or replaced by another process is never written under.
        return await _cache.GetOrLoadAsync(
            KekCache.KeyFor(tenantId, subjectRef), ct => LoadOrCreateAsync(tenantId, tenantKeyArn, SubjectKey(subjectRef), ct, guardedSubject: subjectRef), cancellationToken);
    }

    /// <summary>A transaction's check that the subject's stored KEK is still <paramref name="kekId"/> (fails when it was shredded or replaced).</summary>
    public static ConditionCheck KekCurrentCheck(string keysTable, string tenantId, string subjectRef, string kekId) => new()
    {
        TableName = keysTable,
        Key = Key(tenantId, SubjectKey(subjectRef).SortKey),
        ConditionExpression = "kekId = :kekId",
        ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":kekId"] = new() { S = kekId } },
    };

    public async Task<SubjectKek?> RefreshSubjectKekAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken)
    {
        _cache.Invalidate(KekCache.KeyFor(tenantId, subjectRef));
        return await FindSubjectKekAsync(tenantId, tenantKeyArn, subjectRef, cancellationToken);
    }

    public async Task<string?> ShredAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        var current = await GetItemAsync(tenantId, SubjectKey(subjectRef).SortKey, cancellationToken);
        if (current is null)
        {
            return await TombstoneAsync(tenantId, subjectRef, cancellationToken);
        }

        var kekId = current["kekId"].S;
        await _dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new TransactWriteItem { Delete = new Delete { TableName = _table, Key = Key(tenantId, SubjectKey(subjectRef).SortKey) } },
                new TransactWriteItem { Delete = new Delete { TableName = _table, Key = Key(tenantId, PendingKey(subjectRef).SortKey) } },
                new TransactWriteItem { Delete = new Delete { TableName = _table, Key = Key(tenantId, $"SUBJECT#{subjectRef}") } },
                new TransactWriteItem { Put = new Put { TableName = _table, Item = Tombstone(tenantId, subjectRef, kekId) } },
            ],
        }, cancellationToken);
        _cache.Invalidate(KekCache.KeyFor(tenantId, subjectRef));
        return kekId;
    }

    public async Task<bool> ReshredAsync(string tenantId, string subjectRef, string kekId, CancellationToken cancellationToken) =>
        // Only the very key the erasure destroyed: a KEK the subject got after it (new data) is not touched.
        await DestroyAsync(tenantId, subjectRef, kekId, new Delete { TableName = _table, Key = Key(tenantId, Records.DynamoSubjectDirectory.SortKey(subjectRef)) }, cancellationToken);

    public async Task<string?> ShredIfQuietAsync(string tenantId, string subjectRef, DateTimeOffset quietSince, CancellationToken cancellationToken)
    {
        var current = await GetItemAsync(tenantId, SubjectKey(subjectRef).SortKey, cancellationToken);
        if (current is null)
        {
            return null;
        }

        var kekId = current["kekId"].S;
        // Nothing written for the subject since quietSince (every record write stamps the entry in its own transaction): a
        // write the subject index may not show yet keeps the key.
        var directory = new Delete
        {
            TableName = _table,
            Key = Key(tenantId, Records.DynamoSubjectDirectory.SortKey(subjectRef)),
            ConditionExpression = "attribute_not_exists(pk) OR lastWriteAt < :since OR (attribute_not_exists(lastWriteAt) AND firstSeenAt < :since)",
            ExpressionAttributeValues = new() { [":since"] = new AttributeValue { S = Records.DynamoSubjectDirectory.Time(quietSince) } },
        };
        return await DestroyAsync(tenantId, subjectRef, kekId, directory, cancellationToken) ? kekId : null;
    }

    /// <summary>
    /// Deletes the subject's KEK if it is still <paramref name="kekId"/>, its pending replacement and its directory entry (as
    /// <paramref name="directory"/> says), and puts the shred tombstone, in one transaction; false when a condition failed.
    /// </summary>
    private async Task<bool> DestroyAsync(string tenantId, string subjectRef, string kekId, Delete directory, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
            {
                TransactItems =
                [
                    new TransactWriteItem { Delete = new Delete
                    {
                        TableName = _table,
                        Key = Key(tenantId, SubjectKey(subjectRef).SortKey),
                        ConditionExpression = "kekId = :kekId",
                        ExpressionAttributeValues = new() { [":kekId"] = new() { S = kekId } },
                    } },
                    new TransactWriteItem { Delete = new Delete { TableName = _table, Key = Key(tenantId, PendingKey(subjectRef).SortKey) } },
                    new TransactWriteItem { Delete = directory },
                    new TransactWriteItem { Put = new Put { TableName = _table, Item = Tombstone(tenantId, subjectRef, kekId) } },
                ],
            }, cancellationToken);
        }
        catch (TransactionCanceledException ex) when (ex.CancellationReasons?.Any(r => r.Code == "ConditionalCheckFailed") == true)
        {
            return false;
        }

        _cache.Invalidate(KekCache.KeyFor(tenantId, subjectRef));
        return true;
    }

    public async Task<(SubjectKek Current, SubjectKek Fresh)?> PrepareReplacementAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        var item = await GetItemAsync(tenantId, SubjectKey(subjectRef).SortKey, cancellationToken);
        if (item is null)
        {
            return null;
        }

        var tenantKeyArn = item["tenantKeyArn"].S;
        await EnsureTenantKeyUsableAsync(tenantId, tenantKeyArn, cancellationToken);
        var current = await LoadAsync(tenantId, tenantKeyArn, SubjectKey(subjectRef), cancellationToken);
        if (current is null)
        {
            return null;
        }

        var fresh = await LoadOrCreateAsync(tenantId, tenantKeyArn, PendingKey(subjectRef), cancellationToken);
        return (current, fresh);
    }

    public async Task<string?> CommitReplacementAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        var pending = await GetItemAsync(tenantId, PendingKey(subjectRef).SortKey, cancellationToken);
        var current = await GetItemAsync(tenantId, SubjectKey(subjectRef).SortKey, cancellationToken);
        if (pending is null || current is null)
        {
            return await TombstoneAsync(tenantId, subjectRef, cancellationToken);
        }

        var oldId = current["kekId"].S;
        var promoted = Key(tenantId, SubjectKey(subjectRef).SortKey);
        foreach (var name in new[] { "kekId", "wrappedKek", "tenantKeyArn", "createdAt" })
        {
            promoted[name] = pending[name];
        }

        await _dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new TransactWriteItem { Put = new Put
                {
                    TableName = _table,
                    Item = promoted,
                    ConditionExpression = "kekId = :old",
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":old"] = new() { S = oldId } },
                } },
                new TransactWriteItem { Delete = new Delete { TableName = _table, Key = Key(tenantId, PendingKey(subjectRef).SortKey) } },
                new TransactWriteItem { Put = new Put { TableName = _table, Item = Tombstone(tenantId, subjectRef, oldId) } },
            ],
        }, cancellationToken);
        _cache.Invalidate(KekCache.KeyFor(tenantId, subjectRef));
        return oldId;
    }

    /// <summary>A record that a KEK was destroyed: its id and when, no key material (certificates and replays name it).</summary>
    private Dictionary<string, AttributeValue> Tombstone(string tenantId, string subjectRef, string kekId)
    {
        var item = Key(tenantId, $"KEKSHRED#{subjectRef}");
        item["kekId"] = new AttributeValue { S = kekId };
        item["shreddedAt"] = new AttributeValue { S = _clock.GetUtcNow().UtcDateTime.ToString("O", CultureInfo.InvariantCulture) };
        return item;
    }

    private async Task<string?> TombstoneAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) =>
        (await GetItemAsync(tenantId, $"KEKSHRED#{subjectRef}", cancellationToken))?["kekId"].S;

    private async Task<Dictionary<string, AttributeValue>?> GetItemAsync(string tenantId, string sortKey, CancellationToken cancellationToken)
    {
        var response = await _dynamo.GetItemAsync(new GetItemRequest { TableName = _table, Key = Key(tenantId, sortKey), ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? item : null;
    }

    /// <summary>Re-checks the tenant key's state once per interval; only an enabled key is remembered as such.</summary>
    private async Task EnsureTenantKeyUsableAsync(string tenantId, string tenantKeyArn, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        if (_keyVerifiedAt.TryGetValue(tenantKeyArn, out var verified) && now - verified < _keyStateInterval)
        {
            return;
        }

        DescribeKeyResponse described;
        try
        {
            described = await _kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = tenantKeyArn }, cancellationToken);
        }
        catch (Exception ex) when (IsKeyUnusable(ex))
        {
            _keyVerifiedAt.TryRemove(tenantKeyArn, out _);
            throw new TenantKeyUnavailableException($"The key of tenant {tenantId} cannot be used: {ex.GetType().Name}", ex);
        }

        if (described.KeyMetadata.KeyState != KeyState.Enabled)
        {
            _keyVerifiedAt.TryRemove(tenantKeyArn, out _);
            throw new TenantKeyUnavailableException($"The key of tenant {tenantId} is {described.KeyMetadata.KeyState}.");
        }

        _keyVerifiedAt[tenantKeyArn] = now;
    }

    public async Task<SubjectKek> GetOrCreateSubjectRefKeyAsync(string tenantId, string tenantKeyArn, CancellationToken cancellationToken)
    {
        await EnsureTenantKeyUsableAsync(tenantId, tenantKeyArn, cancellationToken);
        return await _cache.GetOrLoadAsync(KekCache.KeyFor(tenantId, "#subject-ref"), ct => LoadOrCreateAsync(tenantId, tenantKeyArn, SubjectRefKey, ct), cancellationToken);
    }

    public async Task<SubjectKek?> FindSubjectKekAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken)
    {
        await EnsureTenantKeyUsableAsync(tenantId, tenantKeyArn, cancellationToken);
        try
        {
            return await _cache.GetOrLoadAsync(
                KekCache.KeyFor(tenantId, subjectRef),
                async ct => await LoadAsync(tenantId, tenantKeyArn, SubjectKey(subjectRef), ct) ?? throw new SubjectKeyMissingException(),
                cancellationToken);
        }
        catch (SubjectKeyMissingException)
        {
            return null;
        }
    }

    public async Task ShredSubjectAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        await _dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = _table, Key = Key(tenantId, SubjectKey(subjectRef).SortKey) }, cancellationToken);
        _cache.Invalidate(KekCache.KeyFor(tenantId, subjectRef));
    }

    public async Task<Lethe.Domain.KeyRotation.RewrapPage> RewrapPageAsync(string tenantId, string targetKeyArn, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var (items, next) = await WrappedPageAsync(tenantId, cursor, limit, cancellationToken);
        long rewrapped = 0;
        foreach (var item in items)
        {
            var recorded = item.TryGetValue("tenantKeyArn", out var arn) ? arn.S : null;
            if (recorded == targetKeyArn || SlotOf(item["sk"].S) is not { } slot)
            {
                continue;
            }

            var context = Context(tenantId, slot);
            ReEncryptResponse moved;
            try
            {
                // KMS decrypts under the recorded key and encrypts under the target inside the service: the KEK is never in the clear here.
                moved = await _kms.ReEncryptAsync(new ReEncryptRequest
                {
                    CiphertextBlob = new MemoryStream(item["wrappedKek"].B.ToArray()),
                    SourceKeyId = recorded,
                    SourceEncryptionContext = context,
                    DestinationKeyId = targetKeyArn,
                    DestinationEncryptionContext = context,
                }, cancellationToken);
            }
            catch (Exception ex) when (IsKeyUnusable(ex))
            {
                // The error code only: a message could name resources of a BYOK key's account.
                throw new TenantKeyUnavailableException($"A key of tenant {tenantId} cannot be used for the rotation: {(ex as AmazonKeyManagementServiceException)?.ErrorCode ?? ex.GetType().Name}.", ex);
            }
            catch (AmazonKeyManagementServiceException ex) when (ex.ErrorCode is "ThrottlingException" or "KMSInternalException" or "DependencyTimeoutException")
            {
                throw new Lethe.Domain.Errors.TransientException($"KMS answered {ex.ErrorCode} while the keys of tenant {tenantId} were rewrapped.", ex);
            }

            try
            {
                await _dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = _table,
                    Key = Key(tenantId, item["sk"].S),
                    UpdateExpression = "SET wrappedKek = :wrapped, tenantKeyArn = :target",
                    // Unchanged since read: a KEK shredded or replaced meanwhile is not brought back (a replacement is born
                    // under the target already, or the switch's pass finds it).
                    ConditionExpression = recorded is null ? "kekId = :kekId AND attribute_not_exists(tenantKeyArn)" : "kekId = :kekId AND tenantKeyArn = :recorded",
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":wrapped"] = new() { B = new MemoryStream(moved.CiphertextBlob.ToArray()) },
                        [":target"] = new() { S = targetKeyArn },
                        [":kekId"] = new() { S = item["kekId"].S },
                    }.Concat(recorded is null ? [] : [new KeyValuePair<string, AttributeValue>(":recorded", new() { S = recorded })]).ToDictionary(),
                }, cancellationToken);
                rewrapped++;
            }
            catch (ConditionalCheckFailedException)
            {
                // Changed meanwhile: the switch's verification pass decides.
            }
        }

        return new Lethe.Domain.KeyRotation.RewrapPage(items.Count, rewrapped, next);
    }

    public async Task<IReadOnlyDictionary<string, long>> WrappedKeysAsync(string tenantId, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var (items, next) = await WrappedPageAsync(tenantId, cursor, 1000, cancellationToken);
            foreach (var item in items)
            {
                var key = item.TryGetValue("tenantKeyArn", out var arn) ? arn.S : "unrecorded";
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }

            cursor = next;
        }
        while (cursor is not null);

        return counts;
    }

    public async Task EnsureUsableAsync(string tenantId, string? keyArn, CancellationToken cancellationToken)
    {
        if (keyArn is not null)
        {
            _keyVerifiedAt.TryRemove(keyArn, out _);
            await EnsureTenantKeyUsableAsync(tenantId, keyArn, cancellationToken);
        }
    }

    /// <summary>A page of the tenant's wrapped keys (every item of its Keys partition that holds one), read consistently.</summary>
    private async Task<(List<Dictionary<string, AttributeValue>> Items, string? Next)> WrappedPageAsync(string tenantId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var response = await _dynamo.QueryAsync(new QueryRequest
        {
            TableName = _table,
            KeyConditionExpression = "pk = :p",
            ExpressionAttributeValues = new() { [":p"] = new() { S = DynamoKeys.TenantPartition(tenantId) } },
            ConsistentRead = true,
            Limit = limit,
            ExclusiveStartKey = cursor is null ? null : Key(tenantId, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(cursor))),
        }, cancellationToken);
        var next = response.LastEvaluatedKey is { Count: > 0 } last ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(last["sk"].S)) : null;
        return (response.Items.Where(i => i.ContainsKey("wrappedKek")).ToList(), next);
    }

    /// <summary>The data key slot a Keys item holds (its KMS context), or null for items that hold none.</summary>
    private static DataKeySlot? SlotOf(string sortKey) =>
        sortKey == SubjectRefKey.SortKey ? SubjectRefKey
        : sortKey.StartsWith("KEK#", StringComparison.Ordinal) ? SubjectKey(sortKey["KEK#".Length..])
        : sortKey.StartsWith("KEKNEXT#", StringComparison.Ordinal) ? PendingKey(sortKey["KEKNEXT#".Length..])
        : null;

    /// <summary>The KMS encryption context a subject's KEK is bound to.</summary>
    public static Dictionary<string, string> EncryptionContext(string tenantId, string subjectRef) => Context(tenantId, SubjectKey(subjectRef));

    /// <summary>Which data key: its item in the Keys table and the KMS encryption context (beside the tenant) it is bound to.</summary>
    private sealed record DataKeySlot(string SortKey, string ContextName, string ContextValue);

    private static DataKeySlot SubjectKey(string subjectRef) => new($"KEK#{subjectRef}", "subject", subjectRef);

    /// <summary>The fresh KEK of a replacement, kept here until survivors are rewrapped (same KMS context as the current one).</summary>
    private static DataKeySlot PendingKey(string subjectRef) => new($"KEKNEXT#{subjectRef}", "subject", subjectRef);

    private static readonly DataKeySlot SubjectRefKey = new("SUBJECTREFKEY", "purpose", "subject-ref");

    private static Dictionary<string, string> Context(string tenantId, DataKeySlot slot) => new(StringComparer.Ordinal)
    {
        ["tenant"] = tenantId,
        [slot.ContextName] = slot.ContextValue,
    };

    private async Task<SubjectKek> LoadOrCreateAsync(string tenantId, string tenantKeyArn, DataKeySlot slot, CancellationToken cancellationToken, string? guardedSubject = null)
    {
        if (await LoadAsync(tenantId, tenantKeyArn, slot, cancellationToken) is { } existing)
        {
            return existing;
        }

        GenerateDataKeyResponse generated;
        try
        {
            generated = await _kms.GenerateDataKeyAsync(new GenerateDataKeyRequest
            {
                KeyId = tenantKeyArn,
                KeySpec = DataKeySpec.AES_256,
                EncryptionContext = Context(tenantId, slot),
            }, cancellationToken);
        }
        catch (Exception ex) when (IsKeyUnusable(ex))
        {
            throw new TenantKeyUnavailableException($"The key of tenant {tenantId} cannot be used: {ex.Message}", ex);
        }

        var keyId = $"kek-{Guid.NewGuid():N}";
        var item = Key(tenantId, slot.SortKey);
        item["kekId"] = new AttributeValue { S = keyId };
        item["wrappedKek"] = new AttributeValue { B = new MemoryStream(generated.CiphertextBlob.ToArray()) };
        item["tenantKeyArn"] = new AttributeValue { S = tenantKeyArn };
        item["createdAt"] = new AttributeValue { S = _clock.GetUtcNow().UtcDateTime.ToString("O", CultureInfo.InvariantCulture) };
        var put = new Put
        {
            TableName = _table,
            Item = item,
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName },
        };
        try
        {
            if (guardedSubject is not null && _creationGuard is { } guard)
            {
                await guard.WriteAsync(tenantId, guardedSubject, [guard.AbsentCheck(tenantId, guardedSubject), new TransactWriteItem { Put = put }], lockIndex: 0, cancellationToken);
            }
            else
            {
                await _dynamo.PutItemAsync(new PutItemRequest
                {
                    TableName = put.TableName, Item = put.Item, ConditionExpression = put.ConditionExpression, ExpressionAttributeNames = put.ExpressionAttributeNames,
                }, cancellationToken);
            }

            return new SubjectKek(keyId, generated.Plaintext.ToArray());
        }
        catch (Exception ex) when (ex is ConditionalCheckFailedException || (ex is TransactionCanceledException cancelled && Jobs.ErasureLocks.IsConditionFailure(cancelled, 1)))
        {
            // Another writer created the subject's KEK first (another function instance): use theirs.
            return await LoadAsync(tenantId, tenantKeyArn, slot, cancellationToken)
                ?? throw new InvalidOperationException("The data key exists but could not be read back.");
        }
    }

    private async Task<SubjectKek?> LoadAsync(string tenantId, string tenantKeyArn, DataKeySlot slot, CancellationToken cancellationToken)
    {
        var response = await _dynamo.GetItemAsync(new GetItemRequest { TableName = _table, Key = Key(tenantId, slot.SortKey), ConsistentRead = true }, cancellationToken);
        if (!response.IsItemSet || response.Item is not { Count: > 0 } item)
        {
            return null;
        }

        try
        {
            // Unwrapped with the key it records having been wrapped under: the tenant's key may have moved on (a rotation).
            var wrappedUnder = item.TryGetValue("tenantKeyArn", out var recorded) && recorded.S is { Length: > 0 } arn ? arn : tenantKeyArn;
            var plaintext = await _kms.DecryptAsync(new DecryptRequest
            {
                CiphertextBlob = new MemoryStream(item["wrappedKek"].B.ToArray()),
                KeyId = wrappedUnder,
                EncryptionContext = Context(tenantId, slot),
            }, cancellationToken);
            return new SubjectKek(item["kekId"].S, plaintext.Plaintext.ToArray());
        }
        catch (Exception ex) when (IsKeyUnusable(ex))
        {
            throw new TenantKeyUnavailableException($"The key of tenant {tenantId} cannot be used: {ex.Message}", ex);
        }
    }

    private static bool IsKeyUnusable(Exception ex) =>
        ex is DisabledException or KMSInvalidStateException or NotFoundException or KeyUnavailableException or AmazonKeyManagementServiceException { ErrorCode: "AccessDeniedException" };

    private static Dictionary<string, AttributeValue> Key(string tenantId, string sortKey) => DynamoKeys.Of(tenantId, sortKey);

    private sealed class SubjectKeyMissingException : Exception;
}
