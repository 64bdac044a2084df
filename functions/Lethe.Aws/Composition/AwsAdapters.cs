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

/// <summary>
/// The adapters every Lethe process shares, built once from the environment the CDK app or the local cloud sets: the clients,
/// resource names, jobs, erasure locks, tenants, the subject keys and the journal. Processes compose their ports from these.
/// </summary>
public sealed class AwsAdapters
{
    public AwsAdapters(TimeProvider clock)
    {
        Names = ResourceNames.FromEnvironment();
        Dynamo = AwsClients.DynamoDb();
        S3 = AwsClients.S3();
        Kms = AwsClients.Kms();
        Jobs = new DynamoJobStore(Dynamo, Names.Table(ResourceCatalog.Jobs), clock);
        Locks = new ErasureLocks(Dynamo, Names.Table(ResourceCatalog.Jobs));
        Tenants = new DynamoTenantRepository(Dynamo, Names.Table(ResourceCatalog.Tenants));
        // A step loads a subject's KEK once or twice; a small, short cache is enough and is never trusted across a shred.
        Keys = new KmsKeyHierarchy(Kms, Dynamo, Names.Table(ResourceCatalog.Keys), new KekCache(clock, TimeSpan.FromMinutes(1), 100), clock);
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
}
