using Lethe.Aws.Audit;
using Lethe.Aws.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Evidence;
using Lethe.Aws.Tenants;
using Lethe.Domain.Audit;
using Lethe.Domain.Errors;
using Lethe.Functions.Audit;
using Lethe.Domain.Erasure;
using Lethe.Domain.Exports;
using Lethe.Functions.Jobs;
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

        var workflows = new WorkflowComposition(clock);
        var erasure = new Lazy<ErasureSteps>(() => workflows.Erasure);
        var export = new Lazy<ExportSteps>(() => workflows.Export);
        registry.Add(ErasureValidate, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.Validate));
        registry.Add(ErasureSoftDeletePage, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.SoftDeletePage));
        registry.Add(ErasureBeginPurge, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.BeginPurge));
        registry.Add(ErasurePurgePage, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.PurgePage));
        registry.Add(ErasureShred, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.Shred));
        registry.Add(ErasureCertify, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.Certify));
        registry.Add(ErasureScheduleScrub, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.ScheduleBackupScrub));
        registry.Add(ErasureComplete, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.Complete));
        registry.Add(ErasureHandOver, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.HandOver));
        registry.Add(ErasureRecordFailure, () => new RecordFailureHandler(erasure.Value.RecordFailure));
        registry.Add(ExportCollect, () => new WorkflowStepHandler<ExportState>(FunctionsJsonContext.Default.ExportState, export.Value.Collect));
        registry.Add(ExportPackage, () => new WorkflowStepHandler<ExportState>(FunctionsJsonContext.Default.ExportState, export.Value.Package));
        registry.Add(ExportComplete, () => new WorkflowStepHandler<ExportState>(FunctionsJsonContext.Default.ExportState, export.Value.Complete));
        registry.Add(ExportRecordFailure, () => new RecordFailureHandler(export.Value.RecordFailure));
        registry.Add(JobStatus, () => new JobStatusHandler(workflows));
        registry.Add(JobsReconcile, () => new JobsReconcileHandler(workflows));
        registry.Add(SoftDeleteSweep, () => new SoftDeleteSweepHandler(workflows));
        return registry;
    }
}
