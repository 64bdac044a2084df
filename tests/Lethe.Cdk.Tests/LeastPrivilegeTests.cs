using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lethe.Tests.Cdk;

/// <summary>
/// DESIGN.md, Least privilege (issue 11, finding 1): every function's role holds exactly the actions its code calls, on the
/// resources it touches; tenant keys are used through their own key policies, never through a tag or an IAM grant; nobody may
/// tag keys or schedule their deletion.
/// </summary>
public sealed partial class LeastPrivilegeTests(SynthesizedApp synth)
{
    /// <summary>
    /// What both purge paths (the erasure's purge page and the sweep) do to items, records and stored objects; every move to
    /// purging checks the subject's hold marker in the Tenants table.
    /// </summary>
    private static readonly string[] Purge =
    [
        "dynamodb:Query Tenants", "dynamodb:ConditionCheckItem Tenants",
        "dynamodb:Query Inventory", "dynamodb:GetItem Inventory", "dynamodb:BatchGetItem Inventory", "dynamodb:UpdateItem Inventory",
        "dynamodb:Query Records", "dynamodb:BatchWriteItem Records", "dynamodb:DeleteItem Records",
        "s3:ListBucketVersions Data", "s3:ListBucket Data", "s3:DeleteObject Data", "s3:DeleteObjectVersion Data",
        "s3:ListBucketVersions Exports", "s3:ListBucket Exports", "s3:DeleteObject Exports", "s3:DeleteObjectVersion Exports",
        "s3:ListBucketVersions Ingest", "s3:ListBucket Ingest", "s3:DeleteObject Ingest", "s3:DeleteObjectVersion Ingest",
        "s3:ListBucketVersions Quarantine", "s3:ListBucket Quarantine", "s3:DeleteObject Quarantine", "s3:DeleteObjectVersion Quarantine",
    ];

    /// <summary>BYOK keys of other accounts (never this one: a condition on aws:ResourceAccount), for the three key users.</summary>
    private static readonly string[] ForeignKeys = ["kms:GenerateDataKey foreign-keys", "kms:Decrypt foreign-keys", "kms:DescribeKey foreign-keys"];

    /// <summary>The same for roles that use a tenant key only through S3 (a kms:ViaService condition).</summary>
    private static readonly string[] ForeignKeysThroughS3 = ["kms:GenerateDataKey foreign-keys", "kms:Decrypt foreign-keys"];

    private static readonly string[] CertificateRead = ["s3:GetObject* Certificates", "s3:GetBucket* Certificates", "s3:List* Certificates"];

    /// <summary>The backup scrub's look at the backups: every table's PITR setting, and the account's backup list (IAM: "*" only).</summary>
    private static readonly string[] BackupInspection =
    [
        "dynamodb:DescribeContinuousBackups Jobs", "dynamodb:DescribeContinuousBackups Inventory", "dynamodb:DescribeContinuousBackups Records",
        "dynamodb:DescribeContinuousBackups Keys", "dynamodb:ListBackups *", "dynamodb:GetItem Tenants",
    ];

    /// <summary>
    /// The functions that send notices (DESIGN.md, Fan-out and approval): each may start the notify workflow, which alone
    /// publishes to the topic and writes the outbox.
    /// </summary>
    private static readonly HashSet<string> Notifiers = new(StringComparer.Ordinal)
    {
        "Api", "JobStatus", "JobsReconcile", "RequestOverdueSchedule", "ErasureComplete", "ExportComplete", "RetentionComplete", "RetrievalMakeReadable",
        "OffboardingTerminate", "ErasureRecordFailure", "ExportRecordFailure", "RetentionRecordFailure", "RetrievalRecordFailure", "ScrubRecordFailure",
        "ReplayRecordFailure", "RotationRecordFailure", "OffboardingRecordFailure", "IngestRequestReview", "IngestDeliver", "IngestRecordFailure", "IngestReceive",
    };

    /// <summary>What every ingest step holds: its upload read (row and item) and moved, and (but the failure's) its tenant.</summary>
    private static readonly string[] IngestUpload =
        ["dynamodb:BatchGetItem Records", "dynamodb:UpdateItem Records", "dynamodb:BatchGetItem Inventory", "dynamodb:ConditionCheckItem Inventory"];

    /// <summary>What an ingest step that writes records of the subject holds on top: KEKs, the directory, the record and its item, the lock.</summary>
    private static readonly string[] IngestRecordWriter =
    [
        .. ForeignKeys, .. IngestUpload, "dynamodb:GetItem Tenants",
        "dynamodb:GetItem Keys", "dynamodb:PutItem Keys", "dynamodb:UpdateItem Keys", "dynamodb:ConditionCheckItem Keys",
        "dynamodb:GetItem Records", "dynamodb:PutItem Records", "dynamodb:PutItem Inventory", "dynamodb:UpdateItem Inventory", "dynamodb:ConditionCheckItem Jobs",
    ];

    /// <summary>What each function's role may do: "action resource", where resource is a catalog name, an alias, a workflow or *.</summary>
    private static readonly Dictionary<string, string[]> AllowList = new(StringComparer.Ordinal)
    {
        ["Api"] =
        [
            "dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants", "dynamodb:Query Tenants", "dynamodb:DeleteItem Tenants", "dynamodb:UpdateItem Tenants",
            "dynamodb:ConditionCheckItem Tenants", "dynamodb:GetItem Keys", "dynamodb:PutItem Keys", "dynamodb:UpdateItem Keys", "dynamodb:ConditionCheckItem Keys",
            "dynamodb:GetItem Records", "dynamodb:BatchGetItem Records", "dynamodb:PutItem Records", "dynamodb:Query Records", "dynamodb:UpdateItem Records",
            "dynamodb:GetItem Inventory", "dynamodb:BatchGetItem Inventory", "dynamodb:PutItem Inventory", "dynamodb:Query Inventory", "dynamodb:UpdateItem Inventory",
            "dynamodb:PutItem Audit", "dynamodb:GetItem Audit", "dynamodb:Query Audit",
            "dynamodb:GetItem Jobs", "dynamodb:Query Jobs", "dynamodb:PutItem Jobs", "dynamodb:UpdateItem Jobs", "dynamodb:DeleteItem Jobs", "dynamodb:ConditionCheckItem Jobs",
            "kms:CreateKey *", "kms:ListAliases *", "kms:CreateAlias alias", "kms:DescribeKey alias", "kms:Sign SigningKey", "kms:GetPublicKey SigningKey",
            .. ForeignKeys,
            "states:StartExecution deletion", "states:StopExecution deletion", "states:DescribeExecution deletion",
            "states:StartExecution export", "states:StopExecution export", "states:DescribeExecution export",
            "states:StartExecution retention-sweep", "states:StopExecution retention-sweep", "states:DescribeExecution retention-sweep",
            "states:StartExecution archive-retrieval", "states:StopExecution archive-retrieval", "states:DescribeExecution archive-retrieval",
            "states:StartExecution backup-scrub", "states:DescribeExecution backup-scrub",
            "states:StartExecution erasure-replay", "states:DescribeExecution erasure-replay",
            "states:StartExecution key-rotation", "states:StopExecution key-rotation", "states:DescribeExecution key-rotation",
            "states:StartExecution tenant-offboarding", "states:StopExecution tenant-offboarding", "states:DescribeExecution tenant-offboarding",
            "states:StartExecution email-subscriptions", "states:SendTaskSuccess *",
            "states:GetExecutionHistory deletion", "states:GetExecutionHistory export", "states:GetExecutionHistory retention-sweep",
            "states:GetExecutionHistory archive-retrieval", "states:GetExecutionHistory backup-scrub", "states:GetExecutionHistory erasure-replay",
            "states:GetExecutionHistory key-rotation", "states:GetExecutionHistory tenant-offboarding",
            "states:GetExecutionHistory ingest", "states:DescribeExecution ingest",
            "s3:GetObject Data", "s3:PutObject Ingest", "logs:CreateLogStream SecurityLog", "logs:PutLogEvents SecurityLog",
            "s3:GetObject* AuditArchive", "s3:GetBucket* AuditArchive", "s3:List* AuditArchive", "s3:PutObject AuditArchive", "s3:PutObjectLegalHold AuditArchive",
            "s3:PutObjectRetention AuditArchive", "s3:PutObjectTagging AuditArchive", "s3:PutObjectVersionTagging AuditArchive", "s3:Abort* AuditArchive",
            "s3:GetObject* Certificates", "s3:GetBucket* Certificates", "s3:List* Certificates",
            "s3:GetObject* Exports", "s3:GetBucket* Exports", "s3:List* Exports",
        ],
        ["ErasureShred"] =
        [
            .. ForeignKeys,
            "dynamodb:Query Inventory", "dynamodb:BatchGetItem Inventory", "dynamodb:GetItem Records", "dynamodb:UpdateItem Records",
            "dynamodb:GetItem Keys", "dynamodb:PutItem Keys", "dynamodb:UpdateItem Keys", "dynamodb:DeleteItem Keys",
        ],
        ["ExportPackage"] =
        [
            .. ForeignKeys,
            "dynamodb:Query Inventory", "dynamodb:GetItem Inventory", "dynamodb:BatchGetItem Inventory", "dynamodb:PutItem Inventory",
            "dynamodb:ConditionCheckItem Jobs", "dynamodb:GetItem Records", "dynamodb:BatchGetItem Records", "dynamodb:Query Records",
            "dynamodb:GetItem Keys", "dynamodb:GetItem Tenants", "dynamodb:Query Tenants", "dynamodb:Query Audit", "s3:GetObject Data", "s3:PutObject Exports",
            "s3:AbortMultipartUpload Exports", "s3:ListMultipartUploadParts Exports", "s3:DeleteObject Exports", "s3:DeleteObjectVersion Exports",
            "s3:ListBucketVersions Exports",
        ],
        ["ErasureValidate"] = ["dynamodb:Query Tenants"],
        ["ErasureSoftDeletePage"] = ["dynamodb:Query Inventory", "dynamodb:UpdateItem Inventory", "dynamodb:UpdateItem Records", "dynamodb:PutItem Manifests", "dynamodb:Query Manifests", "dynamodb:DeleteItem Manifests"],
        ["ErasureBeginPurge"] = ["dynamodb:Query Tenants"],
        // The fan-out: connectors row and call rows in the Tenants table; the call step opens the connector's secret and the
        // subject's id (tenant key user) and resumes a task whose connector confirmed already.
        ["ErasurePlanConnectors"] = ["dynamodb:GetItem Tenants", "dynamodb:Query Tenants"],
        ["ErasureSettleConnectors"] = ["dynamodb:GetItem Tenants", "dynamodb:Query Tenants"],
        ["ErasureCallConnector"] = [.. ForeignKeys, "dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants", "dynamodb:GetItem Keys", "states:SendTaskSuccess *"],
        ["ErasureCertify"] =
        [
            "dynamodb:GetItem Audit", "dynamodb:Query Tenants", "kms:Sign SigningKey", "kms:GetPublicKey SigningKey", "kms:DescribeKey PlatformKey",
            "s3:PutObject Certificates", "s3:PutObjectLegalHold Certificates", "s3:PutObjectRetention Certificates", "s3:PutObjectTagging Certificates",
            "s3:PutObjectVersionTagging Certificates", "s3:Abort* Certificates", "s3:GetObject* Certificates", "s3:GetBucket* Certificates", "s3:List* Certificates",
        ],
        ["ErasureComplete"] = ["dynamodb:DeleteItem Jobs", "dynamodb:Query Jobs", "dynamodb:Query Manifests", "dynamodb:DeleteItem Manifests"],
        ["ErasureRecordFailure"] = ["dynamodb:DeleteItem Jobs"],
        ["JobStatus"] = ["dynamodb:DeleteItem Jobs", "dynamodb:PutItem Jobs"],
        ["JobsReconcile"] =
        [
            "dynamodb:DeleteItem Jobs", "dynamodb:PutItem Jobs", "dynamodb:Query Jobs", "dynamodb:Query Tenants",
            "states:StartExecution deletion", "states:DescribeExecution deletion", "states:ListExecutions deletion", "states:StartExecution export", "states:DescribeExecution export", "states:ListExecutions export",
            "states:StartExecution retention-sweep", "states:DescribeExecution retention-sweep", "states:ListExecutions retention-sweep",
            "states:StartExecution archive-retrieval", "states:DescribeExecution archive-retrieval", "states:ListExecutions archive-retrieval",
            "states:StartExecution backup-scrub", "states:DescribeExecution backup-scrub", "states:ListExecutions backup-scrub",
            "states:StartExecution erasure-replay", "states:DescribeExecution erasure-replay", "states:ListExecutions erasure-replay",
            "states:StartExecution key-rotation", "states:DescribeExecution key-rotation", "states:ListExecutions key-rotation",
            "states:StartExecution tenant-offboarding", "states:DescribeExecution tenant-offboarding", "states:ListExecutions tenant-offboarding",
            "states:StartExecution ingest", "states:DescribeExecution ingest", "states:ListExecutions ingest",
        ],
        // The purge page also hides (then purges) an item the soft-delete never saw: the record's mirror with it; and it
        // writes a record's tombstone as a conditional put in the transaction that deletes the record.
        // Masking reads and opens the records of masked categories (tenant, KEK, directory entry) and puts their copies.
        ["ErasurePurgePage"] =
        [
            .. Purge, "dynamodb:UpdateItem Records", "dynamodb:PutItem Inventory", "dynamodb:GetItem Manifests", "dynamodb:PutItem Manifests",
            "dynamodb:BatchGetItem Records", "dynamodb:PutItem Records", "dynamodb:GetItem Keys", "dynamodb:GetItem Tenants", .. ForeignKeys,
        ],
        ["SoftDeleteSweep"] = [.. Purge, "dynamodb:Scan Tenants", "dynamodb:GetItem Jobs", "dynamodb:UpdateItem Records", "dynamodb:ConditionCheckItem Inventory", "s3:GetObject Ingest"],
        // Stores each tenant's run with the tenant's sweep lock and starts (and names) its execution.
        // Every tenant id; each tenant's unfinished requests through the status index (marks and journal come with every step).
        ["RequestOverdueSchedule"] = ["dynamodb:Scan Tenants", "dynamodb:Query Jobs"],
        // The outbox: one conditional put per notice beside the tenant's jobs.
        ["NotifyRecord"] = ["dynamodb:PutItem Jobs"],
        ["NotifyCompose"] = [],
        // Each subscription's ARN recorded on the tenant's profile (a conditional save).
        ["SubscriptionsRecord"] = ["dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants", "states:StartExecution email-subscriptions"],
        ["SubscriptionsPlan"] = ["dynamodb:GetItem Tenants"],
        ["RetentionSchedule"] = ["dynamodb:Scan Tenants", "dynamodb:GetItem Tenants", "dynamodb:PutItem Jobs", "states:StartExecution retention-sweep", "states:DescribeExecution retention-sweep"],
        // Stores the scrub's job and starts its execution (and names it on the job).
        ["ErasureStartBackupScrub"] = ["dynamodb:GetItem Tenants", "dynamodb:PutItem Jobs", "states:StartExecution backup-scrub"],
        ["RetentionStartBackupScrub"] = ["dynamodb:GetItem Tenants", "dynamodb:PutItem Jobs", "states:StartExecution backup-scrub"],
        ["ScrubBegin"] = [.. CertificateRead, "kms:DescribeKey PlatformKey", .. BackupInspection],
        // The source's tombstones, the purge's object deletion (a retrieved record's copy row deleted again), no replica configured.
        ["ScrubPage"] =
        [
            "dynamodb:Query Inventory", "dynamodb:BatchWriteItem Records",
            "s3:ListBucketVersions Data", "s3:ListBucket Data", "s3:DeleteObject Data", "s3:DeleteObjectVersion Data",
            "s3:ListBucketVersions Exports", "s3:ListBucket Exports", "s3:DeleteObject Exports", "s3:DeleteObjectVersion Exports",
            "s3:ListBucketVersions Ingest", "s3:ListBucket Ingest", "s3:DeleteObject Ingest", "s3:DeleteObjectVersion Ingest",
            "s3:ListBucketVersions Quarantine", "s3:ListBucket Quarantine", "s3:DeleteObject Quarantine", "s3:DeleteObjectVersion Quarantine",
        ],
        ["ScrubCertify"] =
        [
            .. BackupInspection, "dynamodb:GetItem Audit", "kms:Sign SigningKey", "kms:GetPublicKey SigningKey", "kms:DescribeKey PlatformKey",
            "s3:PutObject Certificates", "s3:PutObjectLegalHold Certificates", "s3:PutObjectRetention Certificates", "s3:PutObjectTagging Certificates",
            "s3:PutObjectVersionTagging Certificates", "s3:Abort* Certificates", .. CertificateRead,
        ],
        ["ScrubHandOver"] = ["states:StartExecution backup-scrub"],
        ["ScrubRecordFailure"] = [],
        // The completed jobs, a deletion's certificate, the tombstones; rows read back and deleted again; a restored KEK deleted again.
        ["ReplayPage"] =
        [
            "dynamodb:Query Jobs", .. CertificateRead, "kms:DescribeKey PlatformKey", "dynamodb:Query Inventory", "dynamodb:BatchGetItem Inventory",
            "dynamodb:ConditionCheckItem Inventory", "dynamodb:GetItem Records", "dynamodb:Query Records", "dynamodb:BatchWriteItem Records",
            "dynamodb:DeleteItem Records", "dynamodb:DeleteItem Keys", "dynamodb:PutItem Keys",
            "s3:ListBucketVersions Data", "s3:ListBucket Data", "s3:DeleteObject Data", "s3:DeleteObjectVersion Data",
            "s3:ListBucketVersions Exports", "s3:ListBucket Exports", "s3:DeleteObject Exports", "s3:DeleteObjectVersion Exports",
            "s3:ListBucketVersions Ingest", "s3:ListBucket Ingest", "s3:DeleteObject Ingest", "s3:DeleteObjectVersion Ingest",
            "s3:ListBucketVersions Quarantine", "s3:ListBucket Quarantine", "s3:DeleteObject Quarantine", "s3:DeleteObjectVersion Quarantine",
        ],
        ["ReplayComplete"] = ["dynamodb:DeleteItem Jobs"],
        // ReEncrypt and ScheduleKeyDeletion come from the tenant keys' own policies (rewrap: a key user; retire: a retirer).
        ["RotationBegin"] = ["dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants"],
        ["RotationRewrapPage"] = ["kms:ReEncryptFrom foreign-keys", "kms:ReEncryptTo foreign-keys", "dynamodb:Query Keys", "dynamodb:UpdateItem Keys"],
        ["RotationSwitch"] = ["dynamodb:Query Keys", "dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants"],
        ["RotationRetire"] =
        [
            "dynamodb:Query Keys", "dynamodb:DeleteItem Jobs", "s3:ListBucketVersions Data", "s3:GetObject Data", "s3:GetObjectVersion Data",
            "s3:ListBucketVersions Exports", "s3:GetObject Exports", "s3:GetObjectVersion Exports",
        ],
        ["RotationHandOver"] = ["states:StartExecution key-rotation"],
        ["RotationRecordFailure"] = ["dynamodb:DeleteItem Jobs"],
        // The offboarding: the tenant saved (offboarding, active again, terminated); holds and open jobs listed, jobs cancelled and
        // their executions stopped; the final export read as a subject export reads, written to the exports bucket; every
        // item of the tenant's partitions and every version under its prefix deleted; the certificate signed; its scrub started.
        // ScheduleKeyDeletion comes from the tenant keys' own policies (retire keys: a retirer).
        ["OffboardingBegin"] = ["dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants"],
        ["OffboardingDrain"] =
        [
            "dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants", "dynamodb:Query Tenants", "dynamodb:Query Jobs", "dynamodb:DeleteItem Jobs",
            "dynamodb:PutItem Manifests",
            .. new[] { "deletion", "export", "retention-sweep", "archive-retrieval", "backup-scrub", "erasure-replay", "key-rotation", "tenant-offboarding", "ingest" }
                .Select(w => $"states:StopExecution {w}"),
        ],
        ["OffboardingExportPage"] =
        [
            .. ForeignKeys,
            "dynamodb:Query Inventory", "dynamodb:GetItem Inventory", "dynamodb:BatchGetItem Inventory", "dynamodb:Query Manifests", "dynamodb:BatchWriteItem Manifests",
            "dynamodb:GetItem Manifests",
            "dynamodb:GetItem Records", "dynamodb:BatchGetItem Records", "dynamodb:Query Records", "dynamodb:GetItem Keys", "dynamodb:GetItem Tenants",
            "dynamodb:Query Audit", "s3:GetObject Data", "s3:PutObject Exports", "s3:AbortMultipartUpload Exports", "s3:ListMultipartUploadParts Exports",
        ],
        ["OffboardingPurgePage"] =
        [
            "dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants", "dynamodb:Query Tenants",
            .. new[] { "Keys", "Records", "Inventory", "Manifests", "Tenants", "Jobs" }.SelectMany(t => new[] { $"dynamodb:Query {t}", $"dynamodb:BatchWriteItem {t}" }),
            .. new[] { "Data", "Exports", "Ingest", "Quarantine" }.SelectMany(b => new[] { $"s3:ListBucketVersions {b}", $"s3:ListBucket {b}", $"s3:DeleteObject {b}", $"s3:DeleteObjectVersion {b}" }),
        ],
        ["OffboardingRetireKeys"] = ["dynamodb:GetItem Tenants"],
        ["OffboardingCertify"] =
        [
            "dynamodb:GetItem Tenants", "dynamodb:GetItem Audit", "kms:Sign SigningKey", "kms:GetPublicKey SigningKey", "kms:DescribeKey PlatformKey",
            "s3:PutObject Certificates", "s3:PutObjectLegalHold Certificates", "s3:PutObjectRetention Certificates", "s3:PutObjectTagging Certificates",
            "s3:PutObjectVersionTagging Certificates", "s3:Abort* Certificates", .. CertificateRead,
        ],
        ["OffboardingTerminate"] = ["dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants", "dynamodb:DeleteItem Jobs", "dynamodb:PutItem Jobs", "states:StartExecution backup-scrub", "states:StartExecution email-subscriptions"],
        ["OffboardingHandOver"] = ["states:StartExecution tenant-offboarding"],
        ["OffboardingRecordFailure"] = ["dynamodb:DeleteItem Jobs"],
        ["ReplayHandOver"] = ["states:StartExecution erasure-replay"],
        ["ReplayRecordFailure"] = ["dynamodb:DeleteItem Jobs"],
        ["ErasureHandOver"] = ["states:StartExecution deletion"],
        ["ExportCollect"] = ["dynamodb:Query Inventory"],
        ["ExportPlanConnectors"] = ["dynamodb:GetItem Tenants", "dynamodb:Query Tenants"],
        ["ExportSettleConnectors"] = ["dynamodb:GetItem Tenants", "dynamodb:Query Tenants"],
        ["ExportCallConnector"] = [.. ForeignKeys, "dynamodb:GetItem Tenants", "dynamodb:PutItem Tenants", "dynamodb:GetItem Keys", "states:SendTaskSuccess *"],
        ["ExportComplete"] = ["dynamodb:GetItem Tenants"],
        ["ExportRecordFailure"] = [],
        ["RetentionBegin"] = ["dynamodb:GetItem Tenants"],
        ["RetentionSelectPage"] = ["dynamodb:Query Inventory", "dynamodb:GetItem Tenants", "dynamodb:PutItem Manifests"],
        // The erasure's purge moves, plus deferral, the leftover check and the shred of a subject with nothing left.
        ["RetentionPurgePage"] =
        [
            .. Purge, "dynamodb:PutItem Inventory", "dynamodb:UpdateItem Records", "dynamodb:GetItem Manifests", "dynamodb:GetItem Jobs",
            "dynamodb:GetItem Keys", "dynamodb:DeleteItem Keys", "dynamodb:PutItem Keys",
            .. ForeignKeysThroughS3, "dynamodb:BatchGetItem Records", "s3:PutObject Data", "s3:PutObjectTagging Data", "s3:GetObjectTagging Data",
        ],
        ["RetentionCertify"] =
        [
            "dynamodb:GetItem Audit", "kms:Sign SigningKey", "kms:GetPublicKey SigningKey", "kms:DescribeKey PlatformKey",
            "s3:PutObject Certificates", "s3:PutObjectLegalHold Certificates", "s3:PutObjectRetention Certificates", "s3:PutObjectTagging Certificates",
            "s3:PutObjectVersionTagging Certificates", "s3:Abort* Certificates", "s3:GetObject* Certificates", "s3:GetBucket* Certificates", "s3:List* Certificates",
        ],
        ["RetentionComplete"] = ["dynamodb:DeleteItem Jobs", "dynamodb:Query Manifests", "dynamodb:DeleteItem Manifests"],
        ["RetentionHandOver"] = ["states:StartExecution retention-sweep"],
        ["RetentionRecordFailure"] = ["dynamodb:DeleteItem Jobs"],
        ["RetrievalBegin"] = ["dynamodb:GetItem Tenants", "dynamodb:GetItem Inventory", "s3:GetObject Data", "s3:GetObjectVersion Data", "s3:RestoreObject Data"],
        ["RetrievalCheckRestore"] = ["dynamodb:GetItem Tenants", "dynamodb:GetItem Inventory", "s3:GetObject Data", "s3:GetObjectVersion Data"],
        // Reads a record's archived object (under the tenant key's own policy) and puts the record back beside the item's window.
        ["RetrievalMakeReadable"] =
        [
            .. ForeignKeysThroughS3, "dynamodb:GetItem Tenants", "dynamodb:GetItem Inventory", "dynamodb:UpdateItem Inventory", "dynamodb:PutItem Records",
            "s3:GetObject Data", "s3:GetObjectVersion Data",
        ],
        ["RetrievalRearchive"] = ["dynamodb:GetItem Inventory", "dynamodb:UpdateItem Inventory", "dynamodb:DeleteItem Records", "dynamodb:DeleteItem Jobs"],
        ["RetrievalRecordFailure"] = ["dynamodb:DeleteItem Jobs"],
        ["IngestNormalize"] = [.. IngestUpload, "dynamodb:GetItem Tenants", "s3:GetObject Ingest"],
        ["IngestStore"] = [.. IngestRecordWriter, "s3:GetObject Ingest", "s3:DeleteObject Ingest"],
        ["IngestDerive"] = [.. IngestRecordWriter, "dynamodb:Query Records"],
        ["IngestPackEvidence"] = IngestRecordWriter,
        ["IngestRequestReview"] =
        [
            .. IngestUpload, "dynamodb:GetItem Tenants", "dynamodb:PutItem Records", "dynamodb:PutItem Inventory", "dynamodb:ConditionCheckItem Jobs",
            "states:SendTaskSuccess *",
        ],
        ["IngestDeliver"] = IngestRecordWriter,
        ["IngestRecordFailure"] = IngestUpload,
    };

    /// <summary>Functions outside the workflows: each its own list, without the workflow base.</summary>
    private static readonly Dictionary<string, string[]> Standalone = new(StringComparer.Ordinal)
    {
        ["Ping"] = ["xray:PutTraceSegments *", "xray:PutTelemetryRecords *"],
        ["IngestReceive"] =
        [
            "xray:PutTraceSegments *", "xray:PutTelemetryRecords *", "kms:Decrypt PlatformKey", "kms:Encrypt PlatformKey", "kms:ReEncrypt* PlatformKey",
            "kms:GenerateDataKey* PlatformKey", "dynamodb:BatchGetItem Records", "dynamodb:UpdateItem Records", "dynamodb:BatchGetItem Inventory",
            "dynamodb:ConditionCheckItem Inventory", "dynamodb:UpdateItem Inventory", "dynamodb:GetItem Jobs", "dynamodb:UpdateItem Jobs", "dynamodb:PutItem Jobs",
            "dynamodb:PutItem Audit", "s3:GetObject Ingest", "s3:GetObjectTagging Ingest", "s3:DeleteObject Ingest", "s3:GetObject Quarantine",
            "s3:PutObject Quarantine", "s3:PutObjectTagging Quarantine", "states:StartExecution ingest", "states:StartExecution notify",
            "sqs:ReceiveMessage IngestQueue", "sqs:ChangeMessageVisibility IngestQueue", "sqs:GetQueueUrl IngestQueue", "sqs:DeleteMessage IngestQueue",
            "sqs:GetQueueAttributes IngestQueue",
        ],
        ["AuditChainer"] =
        [
            "xray:PutTraceSegments *", "xray:PutTelemetryRecords *", "kms:Decrypt PlatformKey", "kms:Encrypt PlatformKey", "kms:ReEncrypt* PlatformKey",
            "kms:GenerateDataKey* PlatformKey", "kms:DescribeKey PlatformKey", "dynamodb:PutItem Audit", "dynamodb:UpdateItem Audit", "dynamodb:GetItem Audit",
            "dynamodb:BatchGetItem Audit", "dynamodb:Query Audit", "dynamodb:ListStreams *", "dynamodb:DescribeStream Audit", "dynamodb:GetRecords Audit",
            "dynamodb:GetShardIterator Audit",
        ],
        ["AuditAnchor"] =
        [
            "xray:PutTraceSegments *", "xray:PutTelemetryRecords *", "kms:Decrypt PlatformKey", "kms:Encrypt PlatformKey", "kms:ReEncrypt* PlatformKey",
            "kms:GenerateDataKey* PlatformKey", "kms:DescribeKey PlatformKey", "kms:Sign SigningKey", "kms:GetPublicKey SigningKey",
            "dynamodb:Scan Tenants", "dynamodb:GetItem Audit", "dynamodb:Query Audit",
            "s3:PutObject AuditArchive", "s3:PutObjectLegalHold AuditArchive", "s3:PutObjectRetention AuditArchive", "s3:PutObjectTagging AuditArchive",
            "s3:PutObjectVersionTagging AuditArchive", "s3:Abort* AuditArchive", "s3:GetObject* AuditArchive", "s3:GetBucket* AuditArchive", "s3:List* AuditArchive",
        ],
    };


    /// <summary>Grants every workflow function holds: its job, its journal entries, the platform key the tables are encrypted with.</summary>
    private static readonly string[] WorkflowBase =
    [
        "dynamodb:GetItem Jobs", "dynamodb:UpdateItem Jobs", "dynamodb:PutItem Audit",
        "kms:Decrypt PlatformKey", "kms:Encrypt PlatformKey", "kms:ReEncrypt* PlatformKey", "kms:GenerateDataKey* PlatformKey",
        "xray:PutTraceSegments *", "xray:PutTelemetryRecords *",
    ];

    private static readonly string[] Catalog =
    [
        "IngestDeadLetterQueue", "IngestQueue", "AuditArchive", "Certificates", "Exports", "Ingest", "Quarantine", "Data", "Tenants", "Jobs", "Inventory", "Records", "Audit", "Keys", "Manifests",
        "SigningKey", "PlatformKey", "Notifications", "SecurityLog",
    ];

    private static string ResourceName(JsonElement resource)
    {
        var text = resource.GetRawText();
        if (text == "\"*\"")
        {
            return "*";
        }

        if (text.Contains(":alias/", StringComparison.Ordinal))
        {
            return "alias";
        }

        if (text.Contains(":kms:*:*:key/*", StringComparison.Ordinal))
        {
            return "foreign-keys";
        }

        foreach (var workflow in new[] { "deletion", "export", "retention-sweep", "archive-retrieval", "backup-scrub", "erasure-replay", "key-rotation", "tenant-offboarding", "ingest", "notify", "email-subscriptions" })
        {
            if (text.Contains($"lethe-test-{workflow}", StringComparison.Ordinal))
            {
                return workflow;
            }
        }

        // Cross-stack imports name the resource's logical id (…FnGetAttJobs1A2B3C4DArn…); AuditArchive before Audit.
        return Catalog.FirstOrDefault(name => Regex.IsMatch(text, $"(GetAtt|Ref){name}[0-9A-F]{{8}}")) ?? text;
    }

    private Dictionary<string, HashSet<string>> Granted()
    {
        var granted = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (logicalId, policy) in SynthesizedApp.Policies(synth.StatelessJson))
        {
            var function = FunctionName().Match(logicalId) is { Success: true } m ? m.Groups["name"].Value : logicalId;
            var set = granted.TryGetValue(function, out var existing) ? existing : granted[function] = new HashSet<string>(StringComparer.Ordinal);
            foreach (var statement in policy.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            {
                var resources = statement.GetProperty("Resource");
                var names = (resources.ValueKind == JsonValueKind.Array ? resources.EnumerateArray() : new[] { resources }.AsEnumerable()).Select(ResourceName).Distinct();
                var actions = statement.GetProperty("Action");
                foreach (var action in actions.ValueKind == JsonValueKind.Array ? actions.EnumerateArray().Select(a => a.GetString()!) : [actions.GetString()!])
                {
                    foreach (var name in names)
                    {
                        set.Add($"{action} {name}");
                    }
                }
            }
        }

        return granted;
    }

    public static TheoryData<string> Functions() => [.. AllowList.Keys, .. Standalone.Keys];

    [Theory]
    [MemberData(nameof(Functions))]
    public void A_function_holds_exactly_the_actions_on_its_allow_list(string function)
    {
        var expected = Standalone.TryGetValue(function, out var own) ? own : AllowList[function].Concat(function == "Api"
            ? ["kms:Decrypt PlatformKey", "kms:Encrypt PlatformKey", "kms:ReEncrypt* PlatformKey", "kms:GenerateDataKey* PlatformKey", "kms:DescribeKey PlatformKey",
               "xray:PutTraceSegments *", "xray:PutTelemetryRecords *"]
            : WorkflowBase).Concat(Notifiers.Contains(function) ? ["states:StartExecution notify"] : []);
        var all = Granted();
        all.Should().ContainKey(function, "policies: " + string.Join(", ", all.Keys));
        var granted = all[function];

        granted.Should().BeEquivalentTo(expected.ToHashSet(StringComparer.Ordinal), "granted: " + string.Join(" | ", granted.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Every_function_of_the_app_has_an_allow_list()
    {
        var functions = SynthesizedApp.Resources(synth.StatelessJson, "AWS::Lambda::Function")
            .Select(f => FunctionId().Match(f.LogicalId).Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

        functions.Should().BeSubsetOf(AllowList.Keys.Concat(Standalone.Keys), "a new function gets its allow-list here");
    }

    [Fact]
    public void No_role_may_tag_keys_schedule_their_deletion_or_use_a_key_by_its_tag()
    {
        foreach (var (function, actions) in Granted())
        {
            actions.Should().NotContain(a => a.StartsWith("kms:TagResource", StringComparison.Ordinal) || a.StartsWith("kms:ScheduleKeyDeletion", StringComparison.Ordinal), function);
            actions.Where(a => a.StartsWith("kms:", StringComparison.Ordinal)).Select(a => a.Split(' ')[1])
                .Should().BeSubsetOf(["*", "alias", "SigningKey", "PlatformKey", "foreign-keys"], $"{function}: no KMS action on this account's tenant keys through IAM");
        }

        foreach (var statement in SynthesizedApp.Policies(synth.StatelessJson)
            .SelectMany(p => p.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            .Where(s => s.GetProperty("Resource").GetRawText().Contains(":kms:*:*:key/*", StringComparison.Ordinal)))
        {
            statement.GetProperty("Condition").GetProperty("StringNotEquals").GetProperty("aws:ResourceAccount").GetRawText()
                .Should().Contain("AWS::AccountId", "a key of Lethe's own account is used through its key policy only");
        }

        synth.StatelessJson.GetRawText().Should().NotContain("aws:ResourceTag/lethe:tenant").And.NotContain("aws:RequestTag/lethe:tenant");
    }

    [Fact]
    public void The_API_learns_which_roles_its_tenant_keys_admit_from_its_environment()
    {
        var api = SynthesizedApp.Resources(synth.StatelessJson, "AWS::Lambda::Function").Single(f => f.LogicalId.StartsWith("ApiFunction", StringComparison.Ordinal)).Properties;
        var variables = api.GetProperty("Environment").GetProperty("Variables");
        var users = variables.GetProperty(Lethe.Catalog.Variables.TenantKeyUsers).GetRawText();

        users.Should().Contain("ApiFunctionServiceRole").And.Contain("ErasureShred").And.Contain("ExportPackage").And.Contain("ErasurePurgePage");
        users.Should().NotContain("RetentionPurgePage").And.NotContain("RetrievalMakeReadable", "they use tenant keys through S3 only");
        variables.GetProperty(Lethe.Catalog.Variables.TenantKeyObjectUsers).GetRawText().Should().Contain("RetentionPurgePage").And.Contain("RetrievalMakeReadable");
        // Without the buckets, a key's policy has no statement for S3: no archive, retrieval or export could use the tenant key.
        var buckets = variables.GetProperty(Lethe.Catalog.Variables.TenantKeyBuckets).GetRawText();
        buckets.Should().Contain("Data").And.Contain("Exports");
        variables.GetProperty(Lethe.Catalog.Variables.TenantKeyAdministrator).GetRawText().Should().Contain(":root");
    }

    [GeneratedRegex("^(?<name>[A-Za-z]+?)(?:Function)?ServiceRole(?:DefaultPolicy|OverflowPolicy[0-9]+)")]
    private static partial Regex FunctionName();

    [GeneratedRegex("^(?<name>[A-Za-z]+?)Function[0-9A-F]{8}$")]
    private static partial Regex FunctionId();
}
