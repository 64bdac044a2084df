using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace Lethe.Aws.Keys;

/// <summary>
/// One customer-managed KMS key per tenant (symmetric, yearly automatic rotation), reachable by the alias
/// <c>alias/{prefix}-tenant-{tenantId}</c>. Creating it twice for one tenant yields one key (the alias decides). The key is
/// created with its <see cref="TenantKeyPolicy"/> in the same call and without tags (so no role needs <c>kms:TagResource</c>,
/// and no tag ever decides who may use it).
/// </summary>
public sealed class KmsTenantKeys(IAmazonKeyManagementService kms, string aliasPrefix, TenantKeyPolicy? policy = null)
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

        var created = await kms.CreateKeyAsync(new CreateKeyRequest
        {
            Description = $"Lethe tenant key ({tenantId})",
            KeySpec = KeySpec.SYMMETRIC_DEFAULT,
            KeyUsage = KeyUsageType.ENCRYPT_DECRYPT,
            Policy = _policy.DocumentFor(tenantId),
            // On purpose: the creating role must not be able to rewrite the policy afterwards (it holds no kms:PutKeyPolicy);
            // account administrators keep it through the policy's administration statement.
            BypassPolicyLockoutSafetyCheck = true,
        }, cancellationToken);
        await kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = created.KeyMetadata.KeyId }, cancellationToken);
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
