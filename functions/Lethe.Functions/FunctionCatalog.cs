using Lethe.Aws.Audit;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Evidence;
using Lethe.Aws.Tenants;
using Lethe.Domain.Audit;
using Lethe.Domain.Errors;
using Lethe.Functions.Audit;
using Lethe.Domain.Erasure;
using Lethe.Domain.Exports;
using Lethe.Domain.Retention;
using Lethe.Functions.Jobs;
using Lethe.Functions.Platform;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions;

/// <summary>
/// The handler registry of every Lambda function Lethe deploys (names in <see cref="Handlers"/>). The CDK app sets
/// <c>_HANDLER</c> to one of these names, and the local cloud's gateway serves the same names in-process, so a workflow calls
/// the same code in both places.
/// </summary>
public static class FunctionCatalog
{
    public static HandlerRegistry Register(HandlerRegistry registry, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ErrorTypes.Register(ex => ex is LetheException lethe ? lethe.ErrorType : null);
        // Clients are built once per process (a warm Lambda reuses them), on first use, from the environment the CDK app sets.
        var chainStore = new Lazy<IAuditChainStore>(() => new DynamoAuditChainStore(AwsClients.DynamoDb(), ResourceNames.FromEnvironment().Table(ResourceCatalog.Audit)));
        registry.Add(Handlers.Ping, () => new PingHandler(clock));
        // One chainer per process: it remembers when it last swept each tenant's pending index.
        var chainer = new Lazy<Domain.Audit.AuditChainer>(() => new Domain.Audit.AuditChainer(chainStore.Value, clock));
        registry.Add(Handlers.AuditChainer, () => new AuditChainerHandler(chainer.Value));
        var anchorer = new Lazy<(AuditAnchorer, DynamoTenantRepository)>(() =>
        {
            var names = ResourceNames.FromEnvironment();
            var signer = new KmsEvidenceSigner(AwsClients.Kms(), names.Key(ResourceCatalog.SigningKey));
            var store = new S3AnchorStore(AwsClients.S3(), names.Bucket(ResourceCatalog.AuditArchive));
            return (new AuditAnchorer(chainStore.Value, store, signer, clock), new DynamoTenantRepository(AwsClients.DynamoDb(), names.Table(ResourceCatalog.Tenants)));
        });
        registry.Add(Handlers.AuditAnchor, () => new AuditAnchorHandler(anchorer.Value.Item1, anchorer.Value.Item2));

        var workflows = new WorkflowComposition(clock);
        var erasure = new Lazy<ErasureSteps>(() => workflows.Erasure);
        var export = new Lazy<ExportSteps>(() => workflows.Export);
        registry.Add(Handlers.ErasureValidate, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.Validate));
        registry.Add(Handlers.ErasureSoftDeletePage, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.SoftDeletePage));
        registry.Add(Handlers.ErasureBeginPurge, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.BeginPurge));
        registry.Add(Handlers.ErasurePlanConnectors, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.PlanConnectors));
        registry.Add(Handlers.ErasureCallConnector, () => new WorkflowStepHandler<Domain.Connectors.ConnectorCallState>(FunctionsJsonContext.Default.ConnectorCallState, erasure.Value.CallConnector));
        registry.Add(Handlers.ErasureSettleConnectors, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.SettleConnectors));
        registry.Add(Handlers.ErasurePurgePage, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.PurgePage));
        registry.Add(Handlers.ErasureShred, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.Shred));
        registry.Add(Handlers.ErasureCertify, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.Certify));
        registry.Add(Handlers.ErasureStartBackupScrub, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.StartBackupScrub));
        registry.Add(Handlers.ErasureComplete, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.Complete));
        registry.Add(Handlers.ErasureHandOver, () => new WorkflowStepHandler<ErasureState>(FunctionsJsonContext.Default.ErasureState, erasure.Value.HandOver));
        registry.Add(Handlers.ErasureRecordFailure, () => new RecordFailureHandler(erasure.Value.RecordFailure));
        registry.Add(Handlers.ExportPlanConnectors, () => new WorkflowStepHandler<ExportState>(FunctionsJsonContext.Default.ExportState, export.Value.PlanConnectors));
        registry.Add(Handlers.ExportCallConnector, () => new WorkflowStepHandler<Domain.Connectors.ConnectorCallState>(FunctionsJsonContext.Default.ConnectorCallState, export.Value.CallConnector));
        registry.Add(Handlers.ExportSettleConnectors, () => new WorkflowStepHandler<ExportState>(FunctionsJsonContext.Default.ExportState, export.Value.SettleConnectors));
        registry.Add(Handlers.ExportCollect, () => new WorkflowStepHandler<ExportState>(FunctionsJsonContext.Default.ExportState, export.Value.Collect));
        registry.Add(Handlers.ExportPackage, () => new WorkflowStepHandler<ExportState>(FunctionsJsonContext.Default.ExportState, export.Value.Package));
        registry.Add(Handlers.ExportComplete, () => new WorkflowStepHandler<ExportState>(FunctionsJsonContext.Default.ExportState, export.Value.Complete));
        registry.Add(Handlers.ExportRecordFailure, () => new RecordFailureHandler(export.Value.RecordFailure));
        var retention = new Lazy<RetentionSteps>(() => workflows.Retention);
        registry.Add(Handlers.RetentionBegin, () => new WorkflowStepHandler<RetentionSweepState>(FunctionsJsonContext.Default.RetentionSweepState, retention.Value.Begin));
        registry.Add(Handlers.RetentionSelectPage, () => new WorkflowStepHandler<RetentionSweepState>(FunctionsJsonContext.Default.RetentionSweepState, retention.Value.SelectPage));
        registry.Add(Handlers.RetentionPurgePage, () => new WorkflowStepHandler<RetentionSweepState>(FunctionsJsonContext.Default.RetentionSweepState, retention.Value.PurgePage));
        registry.Add(Handlers.RetentionCertify, () => new WorkflowStepHandler<RetentionSweepState>(FunctionsJsonContext.Default.RetentionSweepState, retention.Value.Certify));
        registry.Add(Handlers.RetentionStartBackupScrub, () => new WorkflowStepHandler<RetentionSweepState>(FunctionsJsonContext.Default.RetentionSweepState, retention.Value.StartBackupScrub));
        registry.Add(Handlers.RetentionComplete, () => new WorkflowStepHandler<RetentionSweepState>(FunctionsJsonContext.Default.RetentionSweepState, retention.Value.Complete));
        registry.Add(Handlers.RetentionHandOver, () => new WorkflowStepHandler<RetentionSweepState>(FunctionsJsonContext.Default.RetentionSweepState, retention.Value.HandOver));
        registry.Add(Handlers.RetentionRecordFailure, () => new RecordFailureHandler(retention.Value.RecordFailure));
        var retrieval = new Lazy<Domain.Archive.ArchiveRetrievalSteps>(() => workflows.Retrieval);
        var retrievalState = FunctionsJsonContext.Default.ArchiveRetrievalState;
        registry.Add(Handlers.RetrievalBegin, () => new WorkflowStepHandler<Domain.Archive.ArchiveRetrievalState>(retrievalState, retrieval.Value.Begin));
        registry.Add(Handlers.RetrievalCheckRestore, () => new WorkflowStepHandler<Domain.Archive.ArchiveRetrievalState>(retrievalState, retrieval.Value.CheckRestore));
        registry.Add(Handlers.RetrievalMakeReadable, () => new WorkflowStepHandler<Domain.Archive.ArchiveRetrievalState>(retrievalState, retrieval.Value.MakeReadable));
        registry.Add(Handlers.RetrievalRearchive, () => new WorkflowStepHandler<Domain.Archive.ArchiveRetrievalState>(retrievalState, retrieval.Value.Rearchive));
        registry.Add(Handlers.RetrievalRecordFailure, () => new RecordFailureHandler(retrieval.Value.RecordFailure));
        var scrub = new Lazy<Domain.BackupScrub.BackupScrubSteps>(() => workflows.Scrub);
        var scrubState = FunctionsJsonContext.Default.BackupScrubState;
        registry.Add(Handlers.ScrubBegin, () => new WorkflowStepHandler<Domain.BackupScrub.BackupScrubState>(scrubState, scrub.Value.Begin));
        registry.Add(Handlers.ScrubPage, () => new WorkflowStepHandler<Domain.BackupScrub.BackupScrubState>(scrubState, scrub.Value.ScrubPage));
        registry.Add(Handlers.ScrubCertify, () => new WorkflowStepHandler<Domain.BackupScrub.BackupScrubState>(scrubState, scrub.Value.Certify));
        registry.Add(Handlers.ScrubHandOver, () => new WorkflowStepHandler<Domain.BackupScrub.BackupScrubState>(scrubState, scrub.Value.HandOver));
        registry.Add(Handlers.ScrubRecordFailure, () => new RecordFailureHandler(scrub.Value.RecordFailure));
        var replay = new Lazy<Domain.Replay.ErasureReplaySteps>(() => workflows.Replay);
        var replayState = FunctionsJsonContext.Default.ErasureReplayState;
        registry.Add(Handlers.ReplayPage, () => new WorkflowStepHandler<Domain.Replay.ErasureReplayState>(replayState, replay.Value.ReplayPage));
        registry.Add(Handlers.ReplayComplete, () => new WorkflowStepHandler<Domain.Replay.ErasureReplayState>(replayState, replay.Value.Complete));
        registry.Add(Handlers.ReplayHandOver, () => new WorkflowStepHandler<Domain.Replay.ErasureReplayState>(replayState, replay.Value.HandOver));
        registry.Add(Handlers.ReplayRecordFailure, () => new RecordFailureHandler(replay.Value.RecordFailure));
        var rotation = new Lazy<Domain.KeyRotation.KeyRotationSteps>(() => workflows.Rotation);
        var rotationState = FunctionsJsonContext.Default.KeyRotationState;
        registry.Add(Handlers.RotationBegin, () => new WorkflowStepHandler<Domain.KeyRotation.KeyRotationState>(rotationState, rotation.Value.Begin));
        registry.Add(Handlers.RotationRewrapPage, () => new WorkflowStepHandler<Domain.KeyRotation.KeyRotationState>(rotationState, rotation.Value.RewrapPage));
        registry.Add(Handlers.RotationSwitch, () => new WorkflowStepHandler<Domain.KeyRotation.KeyRotationState>(rotationState, rotation.Value.Switch));
        registry.Add(Handlers.RotationRetire, () => new WorkflowStepHandler<Domain.KeyRotation.KeyRotationState>(rotationState, rotation.Value.Retire));
        registry.Add(Handlers.RotationHandOver, () => new WorkflowStepHandler<Domain.KeyRotation.KeyRotationState>(rotationState, rotation.Value.HandOver));
        registry.Add(Handlers.RotationRecordFailure, () => new RecordFailureHandler(rotation.Value.RecordFailure));
        var offboarding = new Lazy<Domain.Offboarding.TenantOffboardingSteps>(() => workflows.Offboarding);
        var offboardingState = FunctionsJsonContext.Default.TenantOffboardingState;
        registry.Add(Handlers.OffboardingBegin, () => new WorkflowStepHandler<Domain.Offboarding.TenantOffboardingState>(offboardingState, offboarding.Value.Begin));
        registry.Add(Handlers.OffboardingDrain, () => new WorkflowStepHandler<Domain.Offboarding.TenantOffboardingState>(offboardingState, offboarding.Value.Drain));
        registry.Add(Handlers.OffboardingExportPage, () => new WorkflowStepHandler<Domain.Offboarding.TenantOffboardingState>(offboardingState, offboarding.Value.ExportPage));
        registry.Add(Handlers.OffboardingPurgePage, () => new WorkflowStepHandler<Domain.Offboarding.TenantOffboardingState>(offboardingState, offboarding.Value.PurgePage));
        registry.Add(Handlers.OffboardingRetireKeys, () => new WorkflowStepHandler<Domain.Offboarding.TenantOffboardingState>(offboardingState, offboarding.Value.RetireKeys));
        registry.Add(Handlers.OffboardingCertify, () => new WorkflowStepHandler<Domain.Offboarding.TenantOffboardingState>(offboardingState, offboarding.Value.Certify));
        registry.Add(Handlers.OffboardingTerminate, () => new WorkflowStepHandler<Domain.Offboarding.TenantOffboardingState>(offboardingState, offboarding.Value.Terminate));
        registry.Add(Handlers.OffboardingHandOver, () => new WorkflowStepHandler<Domain.Offboarding.TenantOffboardingState>(offboardingState, offboarding.Value.HandOver));
        registry.Add(Handlers.OffboardingRecordFailure, () => new RecordFailureHandler(offboarding.Value.RecordFailure));
        var ingest = new Lazy<Domain.Ingest.IngestSteps>(() => workflows.Ingest);
        var ingestState = FunctionsJsonContext.Default.IngestState;
        registry.Add(Handlers.IngestNormalize, () => new WorkflowStepHandler<Domain.Ingest.IngestState>(ingestState, ingest.Value.Normalize));
        registry.Add(Handlers.IngestStore, () => new WorkflowStepHandler<Domain.Ingest.IngestState>(ingestState, ingest.Value.Store));
        registry.Add(Handlers.IngestDerive, () => new WorkflowStepHandler<Domain.Ingest.IngestState>(ingestState, ingest.Value.Derive));
        registry.Add(Handlers.IngestPackEvidence, () => new WorkflowStepHandler<Domain.Ingest.IngestState>(ingestState, ingest.Value.PackEvidence));
        registry.Add(Handlers.IngestRequestReview, () => new WorkflowStepHandler<Domain.Ingest.IngestState>(ingestState, ingest.Value.RequestReview));
        registry.Add(Handlers.IngestDeliver, () => new WorkflowStepHandler<Domain.Ingest.IngestState>(ingestState, ingest.Value.Deliver));
        registry.Add(Handlers.IngestRecordFailure, () => new RecordFailureHandler(ingest.Value.RecordFailure));
        registry.Add(Handlers.IngestReceive, () => new Ingest.IngestReceiveHandler(
            workflows.Receiver, ResourceNames.FromEnvironment().Bucket(ResourceCatalog.Ingest)));
        registry.Add(Handlers.JobStatus, () => new JobStatusHandler(workflows));
        registry.Add(Handlers.JobsReconcile, () => new JobsReconcileHandler(workflows));
        registry.Add(Handlers.SoftDeleteSweep, () => new SoftDeleteSweepHandler(workflows));
        registry.Add(Handlers.RetentionSchedule, () => new RetentionScheduleHandler(workflows));
        registry.Add(Handlers.RequestOverdueSchedule, () => new Notifications.RequestOverdueScheduleHandler(workflows));
        registry.Add(Handlers.NotifyCompose, () => new Notifications.NoticeHandler(workflows.Notices.ComposeAsync));
        registry.Add(Handlers.NotifyRecord, () => new Notifications.NoticeHandler(workflows.Notices.RecordAsync));
        registry.Add(Handlers.SubscriptionsPlan, () => new Notifications.SubscriptionsPlanHandler(workflows.PlanSubscriptions));
        registry.Add(Handlers.SubscriptionsRecord, () => new Notifications.SubscriptionsRecordHandler(workflows.RecordSubscriptions));
        return registry;
    }
}
