using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Lethe.Domain.Crypto;
using Lethe.Domain.Tenancy;

namespace Lethe.Aws.Keys;

/// <summary>
/// Turns a subject id into its ref for a tenant, creating what that needs on first use: the tenant's KMS key (an
/// auto-provisioned local tenant has none yet) and the tenant's subject-ref key.
/// </summary>
public sealed class SubjectRefs(ITenantRepository tenants, KmsTenantKeys tenantKeys, IKeyHierarchy keys)
{
    public async Task<string> ForAsync(Tenant tenant, string subjectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        EnsureActive(tenant);
        return await ForAsync(tenant.Id, await TenantKeyArnAsync(tenant, cancellationToken), subjectId, cancellationToken);
    }

    /// <summary>For a caller that already resolved the tenant key (and needs it for more than the ref).</summary>
    public async Task<string> ForAsync(string tenantId, string tenantKeyArn, string subjectId, CancellationToken cancellationToken)
    {
        var refKey = await keys.GetOrCreateSubjectRefKeyAsync(tenantId, tenantKeyArn, cancellationToken);
        return SubjectRef.Compute(refKey, subjectId);
    }

    /// <summary>An idempotency key and body as the job store keeps them: keyed hashes under the tenant's subject-ref key.</summary>
    public async Task<Domain.Jobs.IdempotencyClaim> IdempotencyClaimAsync(Tenant tenant, string caller, string key, Domain.Jobs.RequestSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var secret = await keys.GetOrCreateSubjectRefKeyAsync(tenant.Id, await TenantKeyArnAsync(tenant, cancellationToken), cancellationToken);
        return Domain.Jobs.IdempotencyClaim.For(secret, caller, key, submission);
    }

    /// <summary>
    /// Who a caller is, as a job keeps it for the four-eyes rule: a keyed hash of the token's <c>sub</c> (never the sub itself,
    /// which for a subject token is a subject id), whatever roles the token holds.
    /// </summary>
    public async Task<string> CallerKeyAsync(Tenant tenant, string sub, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var secret = await keys.GetOrCreateSubjectRefKeyAsync(tenant.Id, await TenantKeyArnAsync(tenant, cancellationToken), cancellationToken);
        return SubjectRef.Keyed(secret, "caller", sub);
    }

    public async Task<string> TenantKeyArnAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        // Every route that touches a subject's data comes through here: none runs for a tenant being offboarded.
        EnsureActive(tenant);
        // While a rotation runs, what is written is sealed under its target already (a KEK created now is never left behind).
        if (tenant.SealingKeyArn is { } arn)
        {
            return arn;
        }

        var created = await tenantKeys.GetOrCreateAsync(tenant.Id, cancellationToken);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await tenants.FindAsync(tenant.Id, cancellationToken) ?? tenant;
            if (current.KeyArn is { } stored)
            {
                return stored;
            }

            if (await tenants.TrySaveAsync(current with { KeyArn = created, ByokKey = false }, cancellationToken))
            {
                return created;
            }
        }

        throw new Domain.Errors.TransientException($"Tenant {tenant.Id} kept changing while its key was recorded.");
    }

    /// <summary>
    /// A tenant being offboarded gets no new key material (its subject-ref key or tenant key made again behind the purge), so
    /// nothing that resolves a subject runs for it any more.
    /// </summary>
    private static void EnsureActive(Tenant tenant)
    {
        if (tenant.State != TenantState.Active)
        {
            throw new TenantNotActiveException($"Tenant {tenant.Id} is {Tenant.StateName(tenant.State)}: its subjects are no longer resolved.");
        }
    }
}

/// <summary>Proves a key usable before Lethe relies on it (a BYOK key ARN given to PUT /v1/tenants/{t}).</summary>
public interface IKeyProbe
{
    /// <summary>Null when a data key could be generated and decrypted under the key; otherwise why not.</summary>
    Task<string?> ProveUsableAsync(string tenantId, string keyArn, CancellationToken cancellationToken);
}

/// <summary>
/// A BYOK key is accepted only when it is usable (a data key can be generated and decrypted under it) and is no other
/// tenant's: not tagged <c>lethe:tenant</c> for another tenant, and not another tenant's platform key (its alias).
/// </summary>
public sealed class KmsKeyProbe(IAmazonKeyManagementService kms, string tenantAliasPrefix, string ownAccount) : IKeyProbe
{
    public const string TenantTag = "lethe:tenant";

    public async Task<string?> ProveUsableAsync(string tenantId, string keyArn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyArn);
        var context = new Dictionary<string, string>(StringComparer.Ordinal) { ["tenant"] = tenantId, ["purpose"] = "byok-check" };
        try
        {
            // Tags and aliases cannot be read across accounts: a key in the tenant's own account is theirs alone, and only
            // keys in Lethe's account (where other tenants' keys live) are checked against them.
            var foreign = keyArn.Split(':') is { Length: > 4 } parts && parts[4] != ownAccount;
            if (foreign)
            {
                return await ProveRoundTripAsync(keyArn, context, cancellationToken);
            }

            var tags = await kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = keyArn }, cancellationToken);
            if ((tags.Tags ?? []).Any(t => t.TagKey == TenantTag && t.TagValue != tenantId))
            {
                // Which tenant is never said: that would tell one tenant about another.
                return "the key is tagged for another tenant";
            }

            var aliases = await kms.ListAliasesAsync(new ListAliasesRequest { KeyId = keyArn }, cancellationToken);
            if ((aliases.Aliases ?? []).Any(a => KmsTenantKeys.TenantOfAlias(a.AliasName, tenantAliasPrefix) is { } owner && owner != tenantId))
            {
                return "the key is another tenant's key";
            }

            return await ProveRoundTripAsync(keyArn, context, cancellationToken);
        }
        catch (AmazonKeyManagementServiceException ex)
        {
            // The AWS error code only: the message could name resources of the key's account.
            return ex.ErrorCode ?? "the key is not usable";
        }
    }

    /// <summary>A data key generated and decrypted under the key with the tenant's context: what every later use needs.</summary>
    private async Task<string?> ProveRoundTripAsync(string keyArn, Dictionary<string, string> context, CancellationToken cancellationToken)
    {
        var generated = await kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyArn, KeySpec = DataKeySpec.AES_256, EncryptionContext = context }, cancellationToken);
        await kms.DecryptAsync(new DecryptRequest { KeyId = keyArn, CiphertextBlob = generated.CiphertextBlob, EncryptionContext = context }, cancellationToken);
        return null;
    }
}
