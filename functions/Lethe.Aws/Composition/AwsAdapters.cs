using Amazon.DynamoDBv2;
using Amazon.KeyManagementService;
using Amazon.S3;
using Lethe.Aws.Audit;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Aws.Tenants;
using Lethe.Domain.Crypto;

namespace Lethe.Aws.Composition;

/// <summary>How a process holds subject keys: how long and how many KEKs it caches, and whether it creates them under the erasure lock.</summary>
/// <param name="CacheFor">How long a KEK stays in memory (a shred is never further behind than this).</param>
/// <param name="CacheSubjects">How many subjects' KEKs stay in memory at most.</param>
/// <param name="GuardCreation">Create a KEK only in a transaction that checks the subject's erasure lock (the writers' side).</param>
public sealed record SubjectKeyUse(TimeSpan CacheFor, int CacheSubjects, bool GuardCreation)
{
    /// <summary>
    /// The API: a warm writer makes no KMS call for 15 minutes and 10,000 subjects, and no KEK appears for a subject under
    /// erasure, because every write for a subject checks its erasure lock inside its own transaction.
    /// </summary>
    public static SubjectKeyUse Writers { get; } = new(TimeSpan.FromMinutes(15), 10_000, GuardCreation: true);

    /// <summary>The workflow steps: a step loads a subject's KEK once or twice, and the erasure itself works under the lock.</summary>
    public static SubjectKeyUse Workflows { get; } = new(TimeSpan.FromMinutes(1), 100, GuardCreation: false);
}

/// <summary>
/// The adapters every Lethe process shares, built once from the environment the CDK app or the local cloud sets: the clients,
/// resource names, jobs, erasure locks, tenants, the subject keys and the journal. The API and the functions compose their
/// ports from these.
/// </summary>
public sealed class AwsAdapters
{
    public AwsAdapters(TimeProvider clock, SubjectKeyUse keyUse)
    {
        ArgumentNullException.ThrowIfNull(keyUse);
        Names = ResourceNames.FromEnvironment();
        Dynamo = AwsClients.DynamoDb();
        S3 = AwsClients.S3();
        Kms = AwsClients.Kms();
        Jobs = new DynamoJobStore(Dynamo, Names.Table(ResourceCatalog.Jobs), clock);
        Locks = new ErasureLocks(Dynamo, Names.Table(ResourceCatalog.Jobs));
        Tenants = new DynamoTenantRepository(Dynamo, Names.Table(ResourceCatalog.Tenants));
        Keys = new KmsKeyHierarchy(
            Kms, Dynamo, Names.Table(ResourceCatalog.Keys), new KekCache(clock, keyUse.CacheFor, keyUse.CacheSubjects), clock,
            creationGuard: keyUse.GuardCreation ? Locks : null);
        Journal = new DynamoAuditJournal(Dynamo, Names.Table(ResourceCatalog.Audit));
    }

    public ResourceNames Names { get; }

    public IAmazonDynamoDB Dynamo { get; }

    public IAmazonS3 S3 { get; }

    public IAmazonKeyManagementService Kms { get; }

    public DynamoJobStore Jobs { get; }

    /// <summary>The subjects' erasure locks, which writes for a subject (export volumes) check in their own transaction.</summary>
    public ErasureLocks Locks { get; }

    public DynamoTenantRepository Tenants { get; }

    public KmsKeyHierarchy Keys { get; }

    public DynamoAuditJournal Journal { get; }

    /// <summary>
    /// The tenant's connectors (their secrets sealed under a key derived from the tenant's subject-ref key) and a job's calls to them.
    /// </summary>
    public Connectors.DynamoConnectorStore ConnectorStore() => new(Dynamo, Names.Table(ResourceCatalog.Tenants), async (tenantId, cancellationToken) =>
    {
        var tenant = await Tenants.FindAsync(tenantId, cancellationToken) ?? throw new InvalidOperationException($"Tenant {tenantId} does not exist.");
        var keyArn = tenant.SealingKeyArn ?? throw new InvalidOperationException($"Tenant {tenantId} has no key yet.");
        return await Keys.GetOrCreateSubjectRefKeyAsync(tenantId, keyArn, cancellationToken);
    });
}
