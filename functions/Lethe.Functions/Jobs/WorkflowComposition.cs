using System.Globalization;
using Lethe.Aws.Audit;
using Lethe.Catalog;
using Lethe.Aws.Certificates;
using Lethe.Aws.Composition;
using Lethe.Aws.Configuration;
using Lethe.Aws.Documents;
using Lethe.Aws.Erasure;
using Lethe.Aws.Evidence;
using Lethe.Aws.Exports;
using Lethe.Aws.Jobs;
using Lethe.Aws.Records;
using Lethe.Aws.StepFunctions;
using Lethe.Aws.Tenants;
using Lethe.Domain.Erasure;
using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;
using Lethe.Domain.Retention;
using Lethe.Aws.Retention;
using Lethe.Aws.BackupScrub;
using Lethe.Domain.BackupScrub;

namespace Lethe.Functions.Jobs;

/// <summary>
/// The ports of every workflow's steps and of the workflow-neutral handlers (record-failure, job-status, reconcile, sweep),
/// composed once per process (a warm Lambda reuses them) on first use from <see cref="AwsAdapters"/>.
/// </summary>
public sealed class WorkflowComposition(TimeProvider clock)
{
    /// <summary>Volume limits (DESIGN.md: 2 GB); set lower locally so tests see several volumes without gigabytes of data.</summary>
    public const string VolumeBytesVariable = "LETHE_EXPORT_VOLUME_BYTES";
    public const string VolumeItemsVariable = "LETHE_EXPORT_VOLUME_ITEMS";

    private readonly Lazy<Built> _built = new(() => Build(clock));

    public ErasureSteps Erasure => _built.Value.Erasure;

    public ExportSteps Export => _built.Value.Export;

    public DynamoTenantRepository Tenants => _built.Value.Adapters.Tenants;

    public JobReconciler Reconciler => _built.Value.Reconciler;

    public RetentionSteps Retention => _built.Value.Retention;

    public RetentionSweepRequests RetentionSweeps => _built.Value.RetentionSweeps;

    public Domain.Archive.ArchiveRetrievalSteps Retrieval => _built.Value.Retrieval;

    public SoftDeleteSweep Sweep => _built.Value.Sweep;

    public Domain.Requests.OverdueRequests Overdue => _built.Value.Overdue;

    public Domain.Notifications.NoticeSteps Notices => _built.Value.Notices;

    public Domain.Notifications.RecordSubscriptionsStep RecordSubscriptions => new(_built.Value.Adapters.Tenants, _built.Value.Subscriptions);

    public Domain.Notifications.PlanSubscriptionsStep PlanSubscriptions => new(_built.Value.Adapters.Tenants);

    public BackupScrubSteps Scrub => _built.Value.Scrub;

    public Domain.Replay.ErasureReplaySteps Replay => _built.Value.Replay;

    public Domain.KeyRotation.KeyRotationSteps Rotation => _built.Value.Rotation;

    public Domain.Offboarding.TenantOffboardingSteps Offboarding => _built.Value.Offboarding;

    public Domain.Ingest.IngestSteps Ingest => _built.Value.Ingest;

    public Domain.Ingest.IngestReceiver Receiver => _built.Value.Receiver;

    public Domain.Ingest.AbandonedUploads AbandonedUploads => _built.Value.Abandoned;

    private sealed record Built(
        AwsAdapters Adapters, ErasureSteps Erasure, ExportSteps Export, RetentionSteps Retention, RetentionSweepRequests RetentionSweeps,
        Domain.Archive.ArchiveRetrievalSteps Retrieval, BackupScrubSteps Scrub, Domain.Replay.ErasureReplaySteps Replay,
        Domain.KeyRotation.KeyRotationSteps Rotation, Domain.Offboarding.TenantOffboardingSteps Offboarding, JobReconciler Reconciler, SoftDeleteSweep Sweep,
        Domain.Requests.OverdueRequests Overdue, Domain.Notifications.NoticeSteps Notices, Domain.Notifications.IEmailSubscriptions Subscriptions,
        Domain.Ingest.IngestSteps Ingest, Domain.Ingest.IngestReceiver Receiver, Domain.Ingest.AbandonedUploads Abandoned);

    /// <summary>The e-mail subscriptions port (workflows/email-subscriptions.asl.json); a function that needs it without it deployed fails loudly.</summary>
    private static Domain.Notifications.IEmailSubscriptions SubscriptionsFor(ResourceNames names, StepFunctionsClient stepFunctions, TimeProvider clock) =>
        names.Workflow(Handlers.EmailSubscriptionsWorkflow) is { } machine
            ? new Aws.Notifications.StepFunctionsEmailSubscriptions(stepFunctions, machine, clock)
            : new MissingSubscriptions();

    private sealed class MissingSubscriptions : Domain.Notifications.IEmailSubscriptions
    {
        public Task StartAsync(string tenantId, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"The e-mail subscriptions workflow is not configured: set {Variables.Workflow(Handlers.EmailSubscriptionsWorkflow)}.");
    }

    /// <summary>
    /// The notification port (workflows/notify.asl.json, named by <see cref="Variables.Workflow"/>("notify")): a function that
    /// sends notices without it deployed fails loudly, never silently.
    /// </summary>
    public static Domain.Notifications.INotifications NoticesFor(ResourceNames names, StepFunctionsClient stepFunctions)
    {
        ArgumentNullException.ThrowIfNull(names);
        var machine = names.Workflow(Handlers.NotifyWorkflow)
            ?? throw new InvalidOperationException($"The notify workflow is not configured: set {Variables.Workflow(Handlers.NotifyWorkflow)}.");
        return new Aws.Notifications.StepFunctionsNotifications(stepFunctions, machine);
    }

    /// <summary>
    /// How long after a key rotation's switch the old key is looked at (<see cref="Variables.KeyRetireDelaySeconds"/>, 0–3600,
    /// default 960: longer than a workflow step runs). Tests set it short.
    /// </summary>
    public static TimeSpan RetireDelayFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(Variables.KeyRetireDelaySeconds);
        return string.IsNullOrEmpty(text) ? TimeSpan.FromSeconds(960)
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 3600 ? TimeSpan.FromSeconds(seconds)
            : throw new InvalidOperationException($"{Variables.KeyRetireDelaySeconds} must be a whole number of seconds from 0 to 3600, not '{text}'.");
    }

    /// <summary>How long writers may keep a tenant they read (<see cref="Variables.TenantCacheSeconds"/>, 0–60, default 5), plus a second.</summary>
    public static TimeSpan WriterCacheAgeFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(Variables.TenantCacheSeconds);
        var seconds = string.IsNullOrEmpty(text) ? 5
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed <= 60 ? parsed
            : throw new InvalidOperationException($"{Variables.TenantCacheSeconds} must be a whole number of seconds from 0 to 60, not '{text}'.");
        return TimeSpan.FromSeconds(seconds + 1);
    }

    /// <summary>How long an API request may still be in flight (<see cref="Variables.ApiRequestSeconds"/>, 0–900, default the API's timeout).</summary>
    public static TimeSpan ApiRequestAgeFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(Variables.ApiRequestSeconds);
        return string.IsNullOrEmpty(text) ? TimeSpan.FromSeconds(Variables.ApiTimeoutSeconds)
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 900 ? TimeSpan.FromSeconds(seconds)
            : throw new InvalidOperationException($"{Variables.ApiRequestSeconds} must be a whole number of seconds from 0 to 900, not '{text}'.");
    }

    /// <summary>The purge's object deletion, aimed at the data bucket's replica when there is one.</summary>
    private static StorePurger? ReplicaPurger(Amazon.DynamoDBv2.IAmazonDynamoDB dynamo, Aws.Offboarding.PurgedBucket? replica, Func<string, string> tableName) =>
        replica is null ? null : new StorePurger(dynamo, replica.Client, tableName, logical => logical == ResourceCatalog.Data.LogicalName
            ? replica.Name
            : throw new InvalidOperationException($"Only the data bucket has a replica, not {logical}."));

    /// <summary>The data bucket's replica as the offboarding empties it (its own region's client), when <see cref="Variables.DataReplicaBucket"/> names one.</summary>
    private static Aws.Offboarding.PurgedBucket? ReplicaBucket(Amazon.S3.IAmazonS3 s3)
    {
        if (Environment.GetEnvironmentVariable(Variables.DataReplicaBucket) is not { Length: > 0 } replica)
        {
            return null;
        }

        var client = Environment.GetEnvironmentVariable(Variables.DataReplicaRegion) is { Length: > 0 } region
            ? new Amazon.S3.AmazonS3Client(Amazon.RegionEndpoint.GetBySystemName(region))
            : s3;
        return new Aws.Offboarding.PurgedBucket(ResourceCatalog.Data.LogicalName + "Replica", replica, client);
    }

    /// <summary>The retention shred's quiet period from <see cref="Variables.ShredQuietSeconds"/> (0–86,400; default 600).</summary>
    public static TimeSpan ShredQuietPeriodFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(Variables.ShredQuietSeconds);
        if (string.IsNullOrEmpty(text))
        {
            return RetentionSweepWorkflow.DefaultShredQuietPeriod;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 86_400
            ? TimeSpan.FromSeconds(seconds)
            : throw new InvalidOperationException($"{Variables.ShredQuietSeconds} must be a whole number of seconds from 0 to 86400, not '{text}'.");
    }

    public static ExportLimits LimitsFromEnvironment()
    {
        static long Read(string name, long fallback)
        {
            var text = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(text))
            {
                return fallback;
            }

            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw new InvalidOperationException($"{name} must be a positive whole number, not '{text}'.");
        }

        var defaults = ExportLimits.Default;
        return defaults with
        {
            VolumeBytes = Read(VolumeBytesVariable, defaults.VolumeBytes),
            VolumeItems = (int)Math.Min(int.MaxValue, Read(VolumeItemsVariable, defaults.VolumeItems)),
        };
    }

    /// <summary>
    /// The upload scanner of <see cref="Variables.MalwareScanner"/>: <c>signatures</c> (the in-process streaming scanner; the
    /// default on the local stage) or <c>guardduty</c> (GuardDuty Malware Protection's result tag; the default in AWS).
    /// </summary>
    public static Domain.Ingest.IUploadScanner ScannerFor(Domain.Ingest.IIngestObjects objects, Amazon.S3.IAmazonS3 s3, string ingestBucket)
    {
        var local = string.Equals(Environment.GetEnvironmentVariable("LETHE_STAGE"), "local", StringComparison.Ordinal);
        return Environment.GetEnvironmentVariable(Variables.MalwareScanner) switch
        {
            "signatures" => new Domain.Ingest.StreamingUploadScanner(objects, Domain.Ingest.SignatureScanner.Default),
            "guardduty" => new Aws.Ingest.GuardDutyUploadScanner(s3, ingestBucket),
            null or "" => local
                ? new Domain.Ingest.StreamingUploadScanner(objects, Domain.Ingest.SignatureScanner.Default)
                : new Aws.Ingest.GuardDutyUploadScanner(s3, ingestBucket),
            var other => throw new InvalidOperationException($"{Variables.MalwareScanner} is 'signatures' or 'guardduty', not '{other}'."),
        };
    }

    /// <summary>The fan-out's ports; loopback receivers are reachable on the local stage only (where they listen on localhost).</summary>
    private static Domain.Connectors.ConnectorPorts ConnectorsFor(AwsAdapters shared, StepFunctionsClient stepFunctions)
    {
        var allowLoopback = string.Equals(Environment.GetEnvironmentVariable("LETHE_STAGE"), "local", StringComparison.Ordinal);
        return new Domain.Connectors.ConnectorPorts(
            shared.ConnectorStore(),
            new Aws.Connectors.DynamoConnectorCalls(shared.Dynamo, shared.Names.Table(ResourceCatalog.Tenants)),
            new Aws.Connectors.HttpConnectorTransport(allowLoopback),
            new Aws.Connectors.StepFunctionsTaskCallbacks(stepFunctions),
            new Aws.Connectors.DirectorySubjectIds(shared.Tenants, new SubjectDirectoryReader(shared.Dynamo, shared.Names.Table(ResourceCatalog.Keys), shared.Keys)))
        {
            AllowLoopback = allowLoopback,
        };
    }

    private static Built Build(TimeProvider clock)
    {
        var shared = new AwsAdapters(clock, SubjectKeyUse.Workflows);
        var (names, dynamo, s3, jobs) = (shared.Names, shared.Dynamo, shared.S3, shared.Jobs);
        var chain = new DynamoAuditChainStore(dynamo, names.Table(ResourceCatalog.Audit));
        var holds = new LegalHoldCheck(new DynamoLegalHoldRepository(dynamo, names.Table(ResourceCatalog.Tenants)));
        var inventory = new DynamoErasureInventory(
            dynamo, names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Tenants), logical => names.Table(ResourceCatalog.TableNamed(logical)));
        var purger = new StorePurger(dynamo, s3, logical => names.Table(ResourceCatalog.TableNamed(logical)), logical => names.Bucket(ResourceCatalog.BucketNamed(logical)));
        var stepFunctions = new StepFunctionsClient(new HttpClient(), StepFunctionsClientOptions.FromEnvironment());
        var workflows = new StepFunctionsWorkflowStarter(stepFunctions, type => names.Workflow(JobTypes.Workflow(type)));
        var notices = NoticesFor(names, stepFunctions);
        var subscriptions = SubscriptionsFor(names, stepFunctions, clock);
        var scrubs = new BackupScrubRequests(jobs, workflows, shared.Tenants, clock);
        var reports = new PdfDocumentRenderer();
        var records = new DynamoRecordStore(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Keys), shared.Locks, names.Table(ResourceCatalog.Tenants));
        var opener = new RecordService(shared.Keys, records, clock);
        var connectors = ConnectorsFor(shared, stepFunctions);
        var erasure = new ErasurePorts(
            jobs,
            inventory,
            new DynamoErasureManifests(dynamo, names.Table(ResourceCatalog.Manifests)),
            purger,
            shared.Keys,
            new DynamoSurvivorRewrapper(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Keys)),
            holds,
            shared.Journal,
            chain,
            new KmsEvidenceSigner(shared.Kms, names.Key(ResourceCatalog.SigningKey)),
            new S3CertificateStore(s3, names.Bucket(ResourceCatalog.Certificates)),
            scrubs,
            shared.Tenants,
            clock)
        {
            Notices = notices,
            Masking = new DynamoMaskingReader(records, opener, new SubjectDirectoryReader(dynamo, names.Table(ResourceCatalog.Keys), shared.Keys)),
            Connectors = connectors,
        };

        var readers = new ExportReaders(
            records,
            opener,
            new DynamoConsentStore(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Inventory), shared.Locks),
            new DynamoRestrictionStore(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Inventory), shared.Locks),
            chain,
            s3,
            logical => names.Bucket(ResourceCatalog.BucketNamed(logical)));
        var export = new ExportPorts(
            jobs,
            shared.Tenants,
            new DynamoExportInventory(dynamo, names.Table(ResourceCatalog.Inventory), readers),
            new S3ExportStore(s3, names.Bucket(ResourceCatalog.Exports)),
            new DynamoExportVolumes(dynamo, names.Table(ResourceCatalog.Inventory), shared.Locks),
            shared.Journal,
            chain,
            LimitsFromEnvironment(),
            clock)
        {
            Notices = notices,
            Reports = reports,
            Connectors = connectors,
        };

        var retention = new RetentionPorts(
            jobs,
            new DynamoRetentionInventory(dynamo, names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Jobs), shared.Tenants),
            inventory,
            erasure.Manifests,
            purger,
            new S3RetentionArchiver(
                s3, records, inventory, names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Records), names.Bucket(ResourceCatalog.Data),
                Environment.GetEnvironmentVariable(Variables.ArchiveTransition) == "at-once"),
            shared.Keys,
            holds,
            shared.Journal,
            chain,
            erasure.Signer,
            erasure.Certificates,
            scrubs,
            shared.Tenants,
            clock)
        {
            Notices = notices,
            ShredQuietPeriod = ShredQuietPeriodFromEnvironment(),
        };

        var retrieval = new Domain.Archive.ArchiveRetrievalPorts(
            jobs,
            inventory,
            new S3ArchiveRestorer(s3, dynamo, names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Records), logical => names.Bucket(ResourceCatalog.BucketNamed(logical))),
            shared.Tenants,
            shared.Journal,
            clock)
        {
            Notices = notices,
        };

        var replica = ReplicaBucket(s3);
        var scrub = new BackupScrubPorts(
            jobs,
            new DynamoDeletionTombstones(dynamo, names.Table(ResourceCatalog.Inventory)),
            new S3ObjectScrubber(purger, ReplicaPurger(dynamo, replica, logical => names.Table(ResourceCatalog.TableNamed(logical)))),
            new DynamoBackupInspector(dynamo, ResourceCatalog.ErasedDataTables.Select(names.Table).ToList()),
            shared.Journal,
            chain,
            erasure.Signer,
            erasure.Certificates,
            shared.Tenants,
            clock)
        {
            Notices = notices,
        };

        var replay = new Domain.Replay.ErasureReplayPorts(
            jobs,
            scrub.Tombstones,
            new Aws.Replay.DynamoReplayPurger(dynamo, inventory, names.Table(ResourceCatalog.Inventory), purger, logical => names.Table(ResourceCatalog.TableNamed(logical))),
            shared.Keys,
            erasure.Certificates,
            shared.Journal,
            clock)
        {
            Notices = notices,
        };

        var rotation = new Domain.KeyRotation.KeyRotationPorts(
            jobs,
            shared.Tenants,
            shared.Keys,
            new Aws.KeyRotation.S3TenantKeyRetirement(s3, shared.Kms, [names.Bucket(ResourceCatalog.Data), names.Bucket(ResourceCatalog.Exports)]),
            shared.Journal,
            clock)
        {
            Notices = notices,
            WriterCacheAge = WriterCacheAgeFromEnvironment(),
            RetireDelay = RetireDelayFromEnvironment(),
        };

        var offboarding = new Domain.Offboarding.TenantOffboardingPorts(
            jobs,
            shared.Tenants,
            new DynamoLegalHoldRepository(dynamo, names.Table(ResourceCatalog.Tenants)),
            workflows,
            new Aws.Offboarding.DynamoTenantSubjects(dynamo, names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Manifests), clock),
            export.Inventory,
            export.Store,
            new Aws.Offboarding.TenantStorePurger(
                dynamo,
                [.. ResourceCatalog.OffboardedTables.Select(t => new Aws.Offboarding.PurgedTable(t.LogicalName, names.Table(t)))],
                [
                    .. ResourceCatalog.OffboardedBuckets.Select(b => new Aws.Offboarding.PurgedBucket(b.LogicalName, names.Bucket(b), s3)),
                    .. replica is null ? [] : new[] { replica },
                ]),
            rotation.Retirement,
            shared.Journal,
            chain,
            erasure.Signer,
            erasure.Certificates,
            scrubs,
            LimitsFromEnvironment(),
            clock)
        {
            Notices = notices,
            Subscriptions = subscriptions,
            Reports = reports,
            WriterCacheAge = WriterCacheAgeFromEnvironment() + ApiRequestAgeFromEnvironment(),
            StragglerDelay = RetireDelayFromEnvironment(),
        };

        var objects = new Aws.Ingest.S3IngestObjects(s3, names.Bucket(ResourceCatalog.Ingest), names.Bucket(ResourceCatalog.Quarantine));
        var uploads = new Aws.Ingest.DynamoUploadStore(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Inventory), shared.Locks);
        // Every step of every upload reads its tenant (state, key, retention) twice: the steps keep a profile as long as writers
        // may (Lethe__TenantCacheSeconds; offboarding and key rotation wait that long, and each record write checks the subject's
        // key and legal hold in its own transaction). The receiver reads it fresh: a new upload sees an offboarding at once.
        var ingestTenants = new Domain.Tenancy.CachedTenantRepository(shared.Tenants, clock, WriterCacheAgeFromEnvironment() - TimeSpan.FromSeconds(1));
        var ingest = new Domain.Ingest.IngestPorts(
            jobs, uploads, objects, ingestTenants, opener, records, shared.Keys,
            new Aws.Connectors.DirectorySubjectIds(ingestTenants, new SubjectDirectoryReader(dynamo, names.Table(ResourceCatalog.Keys), shared.Keys)),
            readers.Consents, readers.Restrictions,
            new Domain.Ingest.ExtractiveInsightModel(),
            new Aws.Ingest.DynamoReviewStore(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Inventory), shared.Locks),
            connectors.Callbacks, shared.Journal, clock)
        {
            Notices = notices,
        };
        var receiver = new Domain.Ingest.IngestReceiver(new Domain.Ingest.IngestReceiverPorts(
            uploads, objects, ScannerFor(objects, s3, names.Bucket(ResourceCatalog.Ingest)), jobs, workflows, shared.Tenants, shared.Journal, notices, clock));

        var reconciler = new JobReconciler(
            jobs, workflows, shared.Journal, clock, new HeldErasures(jobs, workflows, holds, clock),
            [ErasureWorkflow.Definition, ExportWorkflow.Definition, RetentionSweepWorkflow.Definition, Domain.Archive.ArchiveRetrievalWorkflow.Definition, BackupScrubWorkflow.Definition, Domain.Replay.ErasureReplayWorkflow.Definition, Domain.KeyRotation.KeyRotationWorkflow.Definition, Domain.Offboarding.TenantOffboardingWorkflow.Definition, Domain.Ingest.IngestWorkflow.Definition],
            notices);
        var outbox = new Aws.Notifications.DynamoNotificationOutbox(dynamo, names.Table(ResourceCatalog.Jobs));
        return new Built(
            shared, new ErasureSteps(erasure, workflows), new ExportSteps(export), new RetentionSteps(retention, workflows), new RetentionSweepRequests(jobs, workflows, clock),
            new Domain.Archive.ArchiveRetrievalSteps(retrieval), new BackupScrubSteps(scrub, workflows), new Domain.Replay.ErasureReplaySteps(replay, workflows),
            new Domain.KeyRotation.KeyRotationSteps(rotation, workflows), new Domain.Offboarding.TenantOffboardingSteps(offboarding), reconciler, new SoftDeleteSweep(inventory, purger, holds, jobs, shared.Journal, clock),
            new Domain.Requests.OverdueRequests(jobs, notices, shared.Journal, clock), new Domain.Notifications.NoticeSteps(outbox, shared.Journal, clock), subscriptions,
            new Domain.Ingest.IngestSteps(ingest), receiver, new Domain.Ingest.AbandonedUploads(uploads, objects, inventory, shared.Journal, clock));
    }
}
