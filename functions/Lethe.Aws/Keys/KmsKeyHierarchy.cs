using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Lethe.Aws.Catalog;
using Lethe.Domain.Crypto;

namespace Lethe.Aws.Keys;

/// <summary>
/// Subject KEKs as KMS data keys under the tenant key, with the encryption context {tenant, subject} (the subject as its ref,
/// never the id), kept wrapped in the Keys table (<c>TENANT#t</c> / <c>KEK#ref</c>) and unwrapped through KMS Decrypt into the
/// <see cref="KekCache"/>. Deleting the item is crypto-shredding.
/// </summary>
public sealed class KmsKeyHierarchy : IKeyHierarchy
{
    private readonly IAmazonKeyManagementService _kms;
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _table;
    private readonly KekCache _cache;
    private readonly TimeProvider _clock;

    public KmsKeyHierarchy(IAmazonKeyManagementService kms, IAmazonDynamoDB dynamo, string keysTable, KekCache cache, TimeProvider clock)
    {
        _kms = kms;
        _dynamo = dynamo;
        _table = keysTable;
        _cache = cache;
        _clock = clock;
    }

    public Task<SubjectKek> GetOrCreateSubjectKekAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken) =>
        _cache.GetOrLoadAsync(KekCache.KeyFor(tenantId, subjectRef), ct => LoadOrCreateAsync(tenantId, tenantKeyArn, subjectRef, ct), cancellationToken);

    public async Task<SubjectKek?> FindSubjectKekAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken)
    {
        try
        {
            return await _cache.GetOrLoadAsync(
                KekCache.KeyFor(tenantId, subjectRef),
                async ct => await LoadAsync(tenantId, tenantKeyArn, subjectRef, ct) ?? throw new SubjectKeyMissingException(),
                cancellationToken);
        }
        catch (SubjectKeyMissingException)
        {
            return null;
        }
    }

    public async Task ShredSubjectAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        await _dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = _table, Key = Key(tenantId, subjectRef) }, cancellationToken);
        _cache.Invalidate(KekCache.KeyFor(tenantId, subjectRef));
    }

    public static Dictionary<string, string> EncryptionContext(string tenantId, string subjectRef) => new(StringComparer.Ordinal)
    {
        ["tenant"] = tenantId,
        ["subject"] = subjectRef,
    };

    private async Task<SubjectKek> LoadOrCreateAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken)
    {
        if (await LoadAsync(tenantId, tenantKeyArn, subjectRef, cancellationToken) is { } existing)
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
                EncryptionContext = EncryptionContext(tenantId, subjectRef),
            }, cancellationToken);
        }
        catch (Exception ex) when (IsKeyUnusable(ex))
        {
            throw new TenantKeyUnavailableException($"The key of tenant {tenantId} cannot be used: {ex.Message}", ex);
        }

        var keyId = $"kek-{Guid.NewGuid():N}";
        var item = Key(tenantId, subjectRef);
        item["kekId"] = new AttributeValue { S = keyId };
        item["wrappedKek"] = new AttributeValue { B = new MemoryStream(generated.CiphertextBlob.ToArray()) };
        item["tenantKeyArn"] = new AttributeValue { S = tenantKeyArn };
        item["createdAt"] = new AttributeValue { S = _clock.GetUtcNow().UtcDateTime.ToString("O", CultureInfo.InvariantCulture) };
        try
        {
            await _dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = _table,
                Item = item,
                ConditionExpression = "attribute_not_exists(#pk)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = ResourceCatalog.PartitionKeyName },
            }, cancellationToken);
            return new SubjectKek(keyId, generated.Plaintext.ToArray());
        }
        catch (ConditionalCheckFailedException)
        {
            // Another writer created the subject's KEK first (another function instance): use theirs.
            return await LoadAsync(tenantId, tenantKeyArn, subjectRef, cancellationToken)
                ?? throw new InvalidOperationException("The subject KEK exists but could not be read back.");
        }
    }

    private async Task<SubjectKek?> LoadAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken)
    {
        var response = await _dynamo.GetItemAsync(new GetItemRequest { TableName = _table, Key = Key(tenantId, subjectRef), ConsistentRead = true }, cancellationToken);
        if (!response.IsItemSet || response.Item is not { Count: > 0 } item)
        {
            return null;
        }

        try
        {
            var plaintext = await _kms.DecryptAsync(new DecryptRequest
            {
                CiphertextBlob = new MemoryStream(item["wrappedKek"].B.ToArray()),
                KeyId = tenantKeyArn,
                EncryptionContext = EncryptionContext(tenantId, subjectRef),
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

    private static Dictionary<string, AttributeValue> Key(string tenantId, string subjectRef) => new()
    {
        [ResourceCatalog.PartitionKeyName] = new AttributeValue { S = $"TENANT#{tenantId}" },
        [ResourceCatalog.SortKeyName] = new AttributeValue { S = $"KEK#{subjectRef}" },
    };

    private sealed class SubjectKeyMissingException : Exception;
}
