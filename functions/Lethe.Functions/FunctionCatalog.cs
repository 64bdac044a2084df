using Lethe.Aws.Audit;
using Lethe.Aws.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Evidence;
using Lethe.Aws.Tenants;
using Lethe.Domain.Audit;
using Lethe.Domain.Errors;
using Lethe.Functions.Audit;
using Lethe.Functions.Erasure;
using Lethe.Functions.Platform;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions;

/// <summary>
/// Every Lambda function Lethe deploys, by handler name. The CDK app sets <c>_HANDLER</c> to one of these names, and the
/// local cloud's gateway serves the same names in-process, so a workflow calls the same code in both places.
/// </summary>
public static class FunctionCatalog
{
    public const string Ping = "ping";
    public const string AuditChainer = "audit-chainer";
    public const string AuditAnchor = "audit-anchor";
    public const string ErasureValidate = "erasure-validate";
    public const string ErasureSoftDeletePage = "erasure-soft-delete-page";
    public const string ErasureBeginPurge = "erasure-begin-purge";
    public const string ErasurePurgePage = "erasure-purge-page";
    public const string ErasureShred = "erasure-shred";
    public const string ErasureCertify = "erasure-certify";
    public const string ErasureScheduleScrub = "erasure-schedule-scrub";
    public const string ErasureComplete = "erasure-complete";
    public const string ErasureRecordFailure = "erasure-record-failure";
    public const string ErasureHandOver = "erasure-hand-over";
    public const string ExportCollect = "export-collect";
    public const string ExportPackage = "export-package";
    public const string ExportComplete = "export-complete";
    public const string ExportRecordFailure = "export-record-failure";
    public const string JobStatus = "job-status";
    public const string JobsReconcile = "jobs-reconcile";
    public const string SoftDeleteSweep = "soft-delete-sweep";

    public static IReadOnlyList<string> HandlerNames { get; } =
    [
        Ping, AuditChainer, AuditAnchor,
        ErasureValidate, ErasureSoftDeletePage, ErasureBeginPurge, ErasurePurgePage, ErasureShred, ErasureCertify, ErasureScheduleScrub,
        ErasureComplete, ErasureRecordFailure, ErasureHandOver, ExportCollect, ExportPackage, ExportComplete, ExportRecordFailure,
        JobStatus, JobsReconcile, SoftDeleteSweep,
    ];

    /// <summary>The handlers of the deletion workflow (their functions get the erasure permissions).</summary>
    public static IReadOnlyList<string> ErasureHandlers { get; } =
    [
        ErasureValidate, ErasureSoftDeletePage, ErasureBeginPurge, ErasurePurgePage, ErasureShred, ErasureCertify, ErasureScheduleScrub,
        ErasureComplete, ErasureRecordFailure, ErasureHandOver,
    ];

    /// <summary>The handlers of the export workflow (their functions read the subject's data and write the exports bucket).</summary>
    public static IReadOnlyList<string> ExportHandlers { get; } = [ExportCollect, ExportPackage, ExportComplete, ExportRecordFailure];

    public static HandlerRegistry Register(HandlerRegistry registry, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ErrorTypes.Register(ex => ex is LetheException lethe ? lethe.ErrorType : null);
        // Clients are built once per process (a warm Lambda reuses them), on first use, from the environment the CDK app sets.
        var chainStore = new Lazy<IAuditChainStore>(() => new DynamoAuditChainStore(AwsClients.DynamoDb(), ResourceNames.FromEnvironment().Table(ResourceCatalog.Audit)));
        registry.Add(Ping, () => new PingHandler(clock));
        registry.Add(AuditChainer, () => new AuditChainerHandler(new Domain.Audit.AuditChainer(chainStore.Value)));
        var anchorer = new Lazy<(AuditAnchorer, DynamoTenantRepository)>(() =>
        {
            var names = ResourceNames.FromEnvironment();
            var signer = new KmsEvidenceSigner(AwsClients.Kms(), names.Key(ResourceCatalog.SigningKey));
            var store = new S3AnchorStore(AwsClients.S3(), names.Bucket(ResourceCatalog.AuditArchive));
            return (new AuditAnchorer(chainStore.Value, store, signer, clock), new DynamoTenantRepository(AwsClients.DynamoDb(), names.Table(ResourceCatalog.Tenants)));
        });
        registry.Add(AuditAnchor, () => new AuditAnchorHandler(anchorer.Value.Item1, anchorer.Value.Item2));

        var erasure = new ErasureComposition(clock);
        registry.Add(ErasureValidate, () => new ErasureStepHandler(erasure.Steps.ValidateAsync));
        registry.Add(ErasureSoftDeletePage, () => new ErasureStepHandler(erasure.Steps.SoftDeletePageAsync));
        registry.Add(ErasureBeginPurge, () => new ErasureStepHandler(erasure.Steps.BeginPurgeAsync));
        registry.Add(ErasurePurgePage, () => new ErasureStepHandler(erasure.Steps.PurgePageAsync));
        registry.Add(ErasureShred, () => new ErasureStepHandler(erasure.Steps.ShredAsync));
        registry.Add(ErasureCertify, () => new ErasureStepHandler(erasure.Steps.CertifyAsync));
        registry.Add(ErasureScheduleScrub, () => new ErasureScheduleScrubHandler(erasure));
        registry.Add(ErasureComplete, () => new ErasureStepHandler(erasure.Steps.CompleteAsync));
        registry.Add(ErasureRecordFailure, () => new ErasureFailureHandler(erasure));
        registry.Add(ErasureHandOver, () => new ErasureHandOverHandler(erasure));
        var export = new Exports.ExportComposition(clock);
        registry.Add(ExportCollect, () => new Exports.ExportStepHandler(export.Steps.CollectAsync));
        registry.Add(ExportPackage, () => new Exports.ExportStepHandler(export.Steps.PackageAsync));
        registry.Add(ExportComplete, () => new Exports.ExportStepHandler(export.Steps.CompleteAsync));
        registry.Add(ExportRecordFailure, () => new Exports.ExportFailureHandler(export));
        registry.Add(JobStatus, () => new Jobs.JobStatusHandler(erasure));
        registry.Add(JobsReconcile, () => new Jobs.JobsReconcileHandler(erasure));
        registry.Add(SoftDeleteSweep, () => new Jobs.SoftDeleteSweepHandler(erasure));
        return registry;
    }
}
