using Lethe.Aws.Audit;
using Lethe.Aws.Catalog;
using Lethe.Aws.Certificates;
using Lethe.Aws.Configuration;
using Lethe.Aws.Erasure;
using Lethe.Aws.Evidence;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Aws.StepFunctions;
using Lethe.Aws.Tenants;
using Lethe.Domain.Crypto;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;

namespace Lethe.Functions.Erasure;

/// <summary>
/// The adapters of the job and erasure handlers, built once per process (a warm Lambda reuses them) on first use, from the
/// environment the CDK app or the local cloud sets.
/// </summary>
public sealed class ErasureComposition(TimeProvider clock)
{
    private readonly Lazy<Built> _built = new(() => Build(clock));

    public ErasureSteps Steps => _built.Value.Steps;

    public DynamoJobStore Jobs => _built.Value.Jobs;

    public DynamoTenantRepository Tenants => _built.Value.Tenants;

    public IWorkflowStarter Workflows => _built.Value.Workflows;

    public JobReconciler Reconciler => _built.Value.Reconciler;

    public SoftDeleteSweep Sweep => _built.Value.Sweep;

    private sealed record Built(ErasureSteps Steps, DynamoJobStore Jobs, DynamoTenantRepository Tenants, IWorkflowStarter Workflows, JobReconciler Reconciler, SoftDeleteSweep Sweep);

    private static Built Build(TimeProvider clock)
    {
        var shared = new Jobs.WorkflowAdapters(clock);
        var (names, dynamo, s3, kms, jobs, tenants, keys, journal) = (shared.Names, shared.Dynamo, shared.S3, shared.Kms, shared.Jobs, shared.Tenants, shared.Keys, shared.Journal);
        var ports = new ErasurePorts(
            jobs,
            new DynamoErasureInventory(dynamo, names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Tenants)),
            new StorePurger(dynamo, s3, logical => names.Table(ResourceCatalog.TableNamed(logical)), logical => names.Bucket(ResourceCatalog.BucketNamed(logical))),
            keys,
            new DynamoSurvivorRewrapper(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Keys)),
            new LegalHoldCheck(new DynamoLegalHoldRepository(dynamo, names.Table(ResourceCatalog.Tenants))),
            journal,
            new DynamoAuditChainStore(dynamo, names.Table(ResourceCatalog.Audit)),
            new KmsEvidenceSigner(kms, names.Key(ResourceCatalog.SigningKey)),
            new S3CertificateStore(s3, names.Bucket(ResourceCatalog.Certificates)),
            jobs,
            clock);
        var workflows = new StepFunctionsWorkflowStarter(
            new StepFunctionsClient(new HttpClient(), StepFunctionsClientOptions.FromEnvironment()),
            type => names.Workflow(JobTypes.Workflow(type)));
        return new Built(
            new ErasureSteps(ports), jobs, tenants, workflows, new JobReconciler(jobs, workflows, journal, clock, ports.Holds),
            new SoftDeleteSweep(ports.Inventory, ports.Purger, ports.Holds, jobs, journal, clock));
    }
}
