namespace Lethe.Catalog;

/// <summary>
/// Every Lambda handler Lethe deploys, by name: the CDK app sets <c>_HANDLER</c> to one of these, the functions' registry
/// serves them, and the ASL files name their Task states' functions by <see cref="Placeholder"/>.
/// </summary>
public static class Handlers
{
    public const string Ping = "ping";
    public const string AuditChainer = "audit-chainer";
    public const string AuditAnchor = "audit-anchor";
    public const string ErasureValidate = "erasure-validate";
    public const string ErasureSoftDeletePage = "erasure-soft-delete-page";
    public const string ErasureBeginPurge = "erasure-begin-purge";
    public const string ErasurePlanConnectors = "erasure-plan-connectors";
    public const string ErasureCallConnector = "erasure-call-connector";
    public const string ErasureSettleConnectors = "erasure-settle-connectors";
    public const string ErasurePurgePage = "erasure-purge-page";
    public const string ErasureShred = "erasure-shred";
    public const string ErasureCertify = "erasure-certify";
    public const string ErasureStartBackupScrub = "erasure-start-backup-scrub";
    public const string ErasureComplete = "erasure-complete";
    public const string ErasureRecordFailure = "erasure-record-failure";
    public const string ErasureHandOver = "erasure-hand-over";
    public const string ExportPlanConnectors = "export-plan-connectors";
    public const string ExportCallConnector = "export-call-connector";
    public const string ExportSettleConnectors = "export-settle-connectors";
    public const string ExportCollect = "export-collect";
    public const string ExportPackage = "export-package";
    public const string ExportComplete = "export-complete";
    public const string ExportRecordFailure = "export-record-failure";
    public const string RetentionBegin = "retention-begin";
    public const string RetentionSelectPage = "retention-select-page";
    public const string RetentionPurgePage = "retention-purge-page";
    public const string RetentionCertify = "retention-certify";
    public const string RetentionStartBackupScrub = "retention-start-backup-scrub";
    public const string RetentionComplete = "retention-complete";
    public const string RetentionRecordFailure = "retention-record-failure";
    public const string RetentionHandOver = "retention-hand-over";
    public const string RetrievalBegin = "retrieval-begin";
    public const string RetrievalCheckRestore = "retrieval-check-restore";
    public const string RetrievalMakeReadable = "retrieval-make-readable";
    public const string RetrievalRearchive = "retrieval-rearchive";
    public const string RetrievalRecordFailure = "retrieval-record-failure";
    public const string ScrubBegin = "scrub-begin";
    public const string ScrubPage = "scrub-page";
    public const string ScrubCertify = "scrub-certify";
    public const string ScrubHandOver = "scrub-hand-over";
    public const string ScrubRecordFailure = "scrub-record-failure";
    public const string ReplayPage = "replay-page";
    public const string ReplayComplete = "replay-complete";
    public const string ReplayHandOver = "replay-hand-over";
    public const string ReplayRecordFailure = "replay-record-failure";
    public const string RotationBegin = "rotation-begin";
    public const string RotationRewrapPage = "rotation-rewrap-page";
    public const string RotationSwitch = "rotation-switch";
    public const string RotationRetire = "rotation-retire";
    public const string RotationHandOver = "rotation-hand-over";
    public const string RotationRecordFailure = "rotation-record-failure";
    public const string OffboardingBegin = "offboarding-begin";
    public const string OffboardingDrain = "offboarding-drain";
    public const string OffboardingExportPage = "offboarding-export-page";
    public const string OffboardingPurgePage = "offboarding-purge-page";
    public const string OffboardingRetireKeys = "offboarding-retire-keys";
    public const string OffboardingCertify = "offboarding-certify";
    public const string OffboardingTerminate = "offboarding-terminate";
    public const string OffboardingHandOver = "offboarding-hand-over";
    public const string OffboardingRecordFailure = "offboarding-record-failure";
    public const string JobStatus = "job-status";
    public const string JobsReconcile = "jobs-reconcile";
    public const string SoftDeleteSweep = "soft-delete-sweep";
    public const string RetentionSchedule = "retention-schedule";
    public const string RequestOverdueSchedule = "request-overdue-schedule";
    public const string NotifyCompose = "notify-compose";
    public const string NotifyRecord = "notify-record";
    public const string SubscriptionsPlan = "subscriptions-plan";
    public const string SubscriptionsRecord = "subscriptions-record";

    public const string IngestNormalize = "ingest-normalize";
    public const string IngestStore = "ingest-store";
    public const string IngestDerive = "ingest-derive";
    public const string IngestPackEvidence = "ingest-pack-evidence";
    public const string IngestRequestReview = "ingest-request-review";
    public const string IngestDeliver = "ingest-deliver";
    public const string IngestRecordFailure = "ingest-record-failure";

    /// <summary>The ingest queue's consumer: S3 ObjectCreated events of the ingest bucket, in SQS batches with partial failures.</summary>
    public const string IngestReceive = "ingest-receive";

    /// <summary>workflows/email-subscriptions.asl.json: a tenant's e-mail subscriptions to the notifications topic, kept in step with its settings.</summary>
    public const string EmailSubscriptionsWorkflow = "email-subscriptions";

    /// <summary>workflows/notify.asl.json: one execution per notice (not a job's workflow: it has no job and no lock).</summary>
    public const string NotifyWorkflow = "notify";

    /// <summary>The Task states' handlers of workflows/deletion.asl.json.</summary>
    public static IReadOnlyList<string> Deletion { get; } =
    [
        ErasureValidate, ErasureSoftDeletePage, ErasureBeginPurge, ErasurePlanConnectors, ErasureCallConnector, ErasureSettleConnectors, ErasurePurgePage, ErasureShred, ErasureCertify, ErasureStartBackupScrub,
        ErasureComplete, ErasureRecordFailure, ErasureHandOver,
    ];

    /// <summary>The Task states' handlers of workflows/export.asl.json.</summary>
    public static IReadOnlyList<string> Export { get; } =
        [ExportPlanConnectors, ExportCallConnector, ExportSettleConnectors, ExportCollect, ExportPackage, ExportComplete, ExportRecordFailure];

    /// <summary>The Task states' handlers of workflows/retention-sweep.asl.json.</summary>
    public static IReadOnlyList<string> RetentionSweep { get; } =
        [RetentionBegin, RetentionSelectPage, RetentionPurgePage, RetentionCertify, RetentionStartBackupScrub, RetentionComplete, RetentionRecordFailure, RetentionHandOver];

    /// <summary>The Task states' handlers of workflows/archive-retrieval.asl.json.</summary>
    public static IReadOnlyList<string> ArchiveRetrieval { get; } =
        [RetrievalBegin, RetrievalCheckRestore, RetrievalMakeReadable, RetrievalRearchive, RetrievalRecordFailure];

    /// <summary>The Task states' handlers of workflows/backup-scrub.asl.json.</summary>
    public static IReadOnlyList<string> BackupScrub { get; } = [ScrubBegin, ScrubPage, ScrubCertify, ScrubHandOver, ScrubRecordFailure];

    /// <summary>The Task states' handlers of workflows/erasure-replay.asl.json.</summary>
    public static IReadOnlyList<string> ErasureReplay { get; } = [ReplayPage, ReplayComplete, ReplayHandOver, ReplayRecordFailure];

    /// <summary>The Task states' handlers of workflows/key-rotation.asl.json.</summary>
    public static IReadOnlyList<string> KeyRotation { get; } =
        [RotationBegin, RotationRewrapPage, RotationSwitch, RotationRetire, RotationHandOver, RotationRecordFailure];

    /// <summary>The Task states' handlers of workflows/tenant-offboarding.asl.json.</summary>
    public static IReadOnlyList<string> TenantOffboarding { get; } =
    [
        OffboardingBegin, OffboardingDrain, OffboardingExportPage, OffboardingPurgePage, OffboardingRetireKeys, OffboardingCertify, OffboardingTerminate,
        OffboardingHandOver, OffboardingRecordFailure,
    ];

    /// <summary>The Task states' handlers of workflows/ingest.asl.json, and the ingest queue's consumer that starts it.</summary>
    public static IReadOnlyList<string> Ingest { get; } =
        [IngestNormalize, IngestStore, IngestDerive, IngestPackEvidence, IngestRequestReview, IngestDeliver, IngestRecordFailure, IngestReceive];

    /// <summary>
    /// The workflow-neutral job handlers (status changes, reconciliation, the soft-delete sweep, the daily retention schedule,
    /// the daily overdue check).
    /// </summary>
    public static IReadOnlyList<string> JobSupport { get; } = [JobStatus, JobsReconcile, SoftDeleteSweep, RetentionSchedule, RequestOverdueSchedule];

    /// <summary>The Task states' handlers of workflows/notify.asl.json.</summary>
    public static IReadOnlyList<string> Notify { get; } = [NotifyCompose, NotifyRecord];

    /// <summary>The Task states' handlers of workflows/email-subscriptions.asl.json.</summary>
    public static IReadOnlyList<string> EmailSubscriptions { get; } = [SubscriptionsPlan, SubscriptionsRecord];

    public static IReadOnlyList<string> All { get; } = [Ping, AuditChainer, AuditAnchor, .. Deletion, .. Export, .. RetentionSweep, .. ArchiveRetrieval, .. BackupScrub, .. ErasureReplay, .. KeyRotation, .. TenantOffboarding, .. Ingest, .. JobSupport, .. Notify, .. EmailSubscriptions];

    /// <summary>Every job workflow (workflows/{name}.asl.json), each deployed as one state machine.</summary>
    public static IReadOnlyList<string> Workflows { get; } = ["deletion", "export", "retention-sweep", "archive-retrieval", "backup-scrub", "erasure-replay", "key-rotation", "tenant-offboarding", "ingest"];

    /// <summary>The ASL placeholder naming a handler's function (<c>${Function_erasure_validate}</c> → its ARN at deploy time).</summary>
    public static string Placeholder(string handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return $"Function_{handler.Replace('-', '_')}";
    }

    /// <summary>The handler an ASL placeholder names, or null when it names none of <see cref="All"/>.</summary>
    public static string? FromPlaceholder(string placeholder) => All.FirstOrDefault(h => Placeholder(h) == placeholder);
}

/// <summary>
/// Which stream records the audit chainer is invoked for: inserts of journal events (<c>EVENT#…</c>). Its own writes (chain
/// links, the head, journal marks) come back on the same stream and would otherwise invoke it three times per event. The CDK
/// app puts this filter on the event-source mapping; the local cloud's stream poller applies the same one.
/// </summary>
public static class AuditChainerFilter
{
    public const string EventName = "INSERT";
    public const string SortKeyName = "sk";
    public const string SortKeyPrefix = "EVENT#";

    public static bool Matches(string? eventName, string? sortKey) =>
        eventName == EventName && sortKey is not null && sortKey.StartsWith(SortKeyPrefix, StringComparison.Ordinal);
}

/// <summary>The environment variables through which deployed functions learn what the CDK app (or the local cloud) created.</summary>
public static class Variables
{
    /// <summary>The state machine ARN of a workflow (<c>deletion</c> → <c>LETHE_WORKFLOW_DELETION</c>).</summary>
    public static string Workflow(string workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        return $"LETHE_WORKFLOW_{workflow.ToUpperInvariant().Replace('-', '_')}";
    }

    /// <summary>
    /// The ARN of every workflow's state machine but its name's last part (<c>…:stateMachine:lethe-{stage}-</c>): the CDK app
    /// names machines <c>lethe-{stage}-{workflow}</c>, so one variable names them all (a variable per workflow in every
    /// function's environment outgrew CloudFormation's template limit). A <see cref="Workflow"/> variable, where set, wins.
    /// </summary>
    public const string WorkflowArnPrefix = "LETHE_WORKFLOW_ARN_PREFIX";

    /// <summary>
    /// Seconds a subject must have gone unwritten before a retention sweep shreds its KEK (default 600: longer than any index lag).
    /// </summary>
    public const string ShredQuietSeconds = "LETHE_SHRED_QUIET_SECONDS";

    /// <summary>
    /// <c>at-once</c>: the archive also moves a tagged file to its storage class itself, standing in for the data bucket's
    /// lifecycle rule (the local cloud, which runs no lifecycle); unset in AWS, where the rule acts on the <c>lethe:tier</c> tag.
    /// </summary>
    public const string ArchiveTransition = "LETHE_ARCHIVE_TRANSITION";

    /// <summary>
    /// How uploads are scanned: <c>signatures</c> (the streaming in-process scanner; the local cloud) or <c>guardduty</c> (the
    /// GuardDuty Malware Protection result tag; the default in AWS).
    /// </summary>
    public const string MalwareScanner = "LETHE_MALWARE_SCANNER";

    /// <summary>
    /// The data bucket's replica (a bucket S3 replication copies into, usually in another region), and its region when not
    /// this one: the backup scrub deletes every copy of a purged key there too. Unset: no replica.
    /// </summary>
    public const string DataReplicaBucket = "LETHE_BUCKET_DATA_REPLICA";
    public const string DataReplicaRegion = "LETHE_BUCKET_DATA_REPLICA_REGION";

    /// <summary>
    /// Seconds the API keeps a tenant it read (its <c>Lethe:TenantCacheSeconds</c>, 0–60, default 5): a key rotation waits this
    /// long (and a second) before it rewraps, so every writer seals under the new key by then.
    /// </summary>
    public const string TenantCacheSeconds = "Lethe__TenantCacheSeconds";

    /// <summary>
    /// Seconds an API request may still be in flight after it passed the tenant guard (default 29: the API function's timeout).
    /// An offboarding waits this long after the tenant's cache age before it checks holds and drains, so no change lands behind it.
    /// </summary>
    public const string ApiRequestSeconds = "LETHE_API_REQUEST_SECONDS";

    /// <summary>The API function's timeout, in seconds: the longest a request is in flight (the CDK app's API function).</summary>
    public const int ApiTimeoutSeconds = 29;

    /// <summary>
    /// Seconds after a key rotation's switch before the old key is looked at, and an offboarding's drain waits after it cancelled
    /// jobs (default 960: longer than any step runs).
    /// </summary>
    public const string KeyRetireDelaySeconds = "LETHE_KEY_RETIRE_DELAY_SECONDS";

    /// <summary>Roles that may only move a tenant's wrapped keys between tenant keys (ReEncrypt), never unwrap one.</summary>
    public const string TenantKeyRewrappers = "LETHE_TENANT_KEY_REWRAPPERS";

    public const string TenantKeyAdministrator = "LETHE_TENANT_KEY_ADMIN";
    public const string TenantKeyUsers = "LETHE_TENANT_KEY_USERS";

    /// <summary>Roles that use a tenant key only through S3 (objects they write or read), never to unwrap a subject's KEK.</summary>
    public const string TenantKeyObjectUsers = "LETHE_TENANT_KEY_OBJECT_USERS";
    public const string TenantKeyRetirers = "LETHE_TENANT_KEY_RETIRERS";
    public const string TenantKeyBuckets = "LETHE_TENANT_KEY_BUCKETS";
}
