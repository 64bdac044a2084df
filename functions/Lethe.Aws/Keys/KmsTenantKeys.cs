using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace Lethe.Aws.Keys;

/// <summary>
/// One customer-managed KMS key per tenant (symmetric, yearly automatic rotation), reachable by the alias
/// <c>alias/{prefix}-tenant-{tenantId}</c>. Creating it twice for one tenant yields one key (the alias decides). The key is
/// created with its <see cref="TenantKeyPolicy"/> in the same call and without tags (so no role needs <c>kms:TagResource</c>,
/// and no tag ever decides who may use it).
/// </summary>
public sealed class KmsTenantKeys(IAmazonKeyManagementService kms, string aliasPrefix, TenantKeyPolicy? policy = null) : Lethe.Domain.KeyRotation.ITenantKeyFactory
{
    private readonly TenantKeyPolicy _policy = policy ?? TenantKeyPolicy.FromEnvironment();

    public string AliasFor(string tenantId) => $"alias/{aliasPrefix}-tenant-{tenantId}";

    public async Task<string> GetOrCreateAsync(string tenantId, CancellationToken cancellationToken)
    {
        var alias = AliasFor(tenantId);
        if (await FindAsync(alias, cancellationToken) is { } existing)
        {
            return existing;
        }

        var created = await CreateKeyAsync(tenantId, $"Lethe tenant key ({tenantId})", cancellationToken);
        try
        {
            await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = created.KeyMetadata.KeyId }, cancellationToken);
            return created.KeyMetadata.Arn;
        }
        catch (AlreadyExistsException)
        {
            // A concurrent request made the tenant's key first: keep theirs. Ours holds nothing and has no alias; only the
            // offboarding and rotation steps may schedule key deletion, so it is left for an account administrator (ADR 0008).
            return await FindAsync(alias, cancellationToken) ?? throw new InvalidOperationException($"{alias} exists but cannot be described.");
        }
    }

    /// <summary>
    /// A fresh key for a rotation: the current policy (so roles added since the tenant's first key are named), automatic
    /// rotation, and an alias of its own (<c>alias/{prefix}-tenant-{tenantId}--{n}</c>), so no other tenant can take it as its
    /// BYOK key; the first alias keeps naming the tenant's first key, the tenant record names the current one.
    /// </summary>
    public async Task<string> CreateFreshAsync(string tenantId, CancellationToken cancellationToken)
    {
        var created = await CreateKeyAsync(tenantId, $"Lethe tenant key ({tenantId}, rotated)", cancellationToken);
        await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = $"{AliasFor(tenantId)}{RotatedSeparator}{created.KeyMetadata.KeyId}", TargetKeyId = created.KeyMetadata.KeyId }, cancellationToken);
        return created.KeyMetadata.Arn;
    }

    /// <summary>A symmetric key with the tenant's policy given in the same call, and yearly automatic rotation.</summary>
    private async Task<CreateKeyResponse> CreateKeyAsync(string tenantId, string description, CancellationToken cancellationToken)
    {
        var created = await kms.CreateKeyAsync(new CreateKeyRequest
        {
            Description = description,
            KeySpec = KeySpec.SYMMETRIC_DEFAULT,
            KeyUsage = KeyUsageType.ENCRYPT_DECRYPT,
            Policy = _policy.DocumentFor(tenantId),
            // On purpose: the creating role must not be able to rewrite the policy afterwards (it holds no kms:PutKeyPolicy);
            // account administrators keep it through the policy's administration statement.
            BypassPolicyLockoutSafetyCheck = true,
        }, cancellationToken);
        await kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = created.KeyMetadata.KeyId }, cancellationToken);
        return created;
    }

    /// <summary>Between a tenant's alias and the key id that ends a rotated key's alias.</summary>
    public const string RotatedSeparator = "--";

    /// <summary>The tenant an alias of Lethe's names (<c>{prefix}{tenantId}</c> or <c>{prefix}{tenantId}--{keyId}</c>), or null for another alias.</summary>
    public static string? TenantOfAlias(string aliasName, string tenantAliasPrefix)
    {
        ArgumentNullException.ThrowIfNull(aliasName);
        ArgumentNullException.ThrowIfNull(tenantAliasPrefix);
        if (!aliasName.StartsWith(tenantAliasPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = aliasName[tenantAliasPrefix.Length..];
        var rotated = rest.LastIndexOf(RotatedSeparator, StringComparison.Ordinal);
        // A key id is a GUID (36 characters with single dashes): only such a suffix marks a rotated key's alias.
        return rotated > 0 && Guid.TryParseExact(rest[(rotated + RotatedSeparator.Length)..], "D", out _) ? rest[..rotated] : rest;
    }

    private async Task<string?> FindAsync(string alias, CancellationToken cancellationToken)
    {
        try
        {
            return (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias }, cancellationToken)).KeyMetadata.Arn;
        }
        catch (NotFoundException)
        {
            return null;
        }
    }
}
