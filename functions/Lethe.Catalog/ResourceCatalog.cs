namespace Lethe.Catalog;

public enum KeyAttributeType
{
    String,
    Number,
}

public sealed record KeyAttribute(string Name, KeyAttributeType Type);

public sealed record IndexDefinition(string Name, KeyAttribute PartitionKey, KeyAttribute? SortKey);

/// <summary>A DynamoDB table: logical name, key schema, indexes, stream, TTL attribute, and the variable that carries its physical name.</summary>
public sealed record TableDefinition(
    string LogicalName,
    string NameVariable,
    KeyAttribute PartitionKey,
    KeyAttribute SortKey,
    IReadOnlyList<IndexDefinition> GlobalIndexes,
    bool StreamNewImages = false,
    string? TimeToLiveAttribute = null);

public enum StorageTier
{
    Archive,
    DeepArchive,
}

/// <summary>An object that carries tag <c>lethe:tier</c> with this value moves to the storage class after the given days.</summary>
public sealed record TierTransition(string TagValue, StorageTier Tier, int AfterDays);

/// <summary>An S3 bucket and the rules it must carry wherever it is created.</summary>
public sealed record BucketDefinition(
    string LogicalName,
    string NameVariable,
    bool Versioned,
    bool ObjectLock,
    int? ObjectLockRetentionDays = null,
    int? ExpireAfterDays = null,
    int? NoncurrentExpireAfterDays = null,
    IReadOnlyList<TierTransition>? TierTransitions = null);

public enum KeyKind
{
    SymmetricEncryption,
    EccP256Signing,
}

/// <summary>A KMS key created with the stack; per-tenant keys are created at run time and are not in the catalog.</summary>
public sealed record KmsKeyDefinition(string LogicalName, string IdVariable, KeyKind Kind, string AliasSuffix);

/// <summary>An SNS topic; subscribers (the tenant's app) get notices that carry ids and links, never personal data.</summary>
public sealed record TopicDefinition(string LogicalName, string ArnVariable);

/// <summary>A log group of Lethe's own with a fixed retention class (DESIGN.md, Policy figures), its name in <paramref name="NameVariable"/>.</summary>
public sealed record LogGroupDefinition(string LogicalName, string NameVariable, int RetentionDays);

public sealed record QueueDefinition(string LogicalName, string UrlVariable, int VisibilityTimeoutSeconds, int MaxReceiveCount, string DeadLetterLogicalName);

/// <summary>
/// The one list of stateful resources, shared by the CDK app and the local cloud so the two cannot drift (a cdk test compares them).
/// Logical names and schemas live here; physical names reach code only through the named environment variables.
/// </summary>
public static class ResourceCatalog
{
    public const string TagTier = "lethe:tier";
    public const string PartitionKeyName = "pk";
    public const string SortKeyName = "sk";

    private static readonly KeyAttribute Pk = new(PartitionKeyName, KeyAttributeType.String);
    private static readonly KeyAttribute Sk = new(SortKeyName, KeyAttributeType.String);

    public static TableDefinition Tenants { get; } = new("Tenants", "LETHE_TABLE_TENANTS", Pk, Sk, []);

    /// <summary>Jobs and their idempotency reservations (same table, so both are written in one transaction).</summary>
    public static TableDefinition Jobs { get; } = new(
        "Jobs", "LETHE_TABLE_JOBS", Pk, Sk,
        [
            new IndexDefinition("byStatus", new KeyAttribute("statusPk", KeyAttributeType.String), new KeyAttribute("statusSk", KeyAttributeType.String)),
            // Sparse: only open jobs carry openPk, so reconciliation reads what is open across tenants without a scan.
            new IndexDefinition("open", new KeyAttribute("openPk", KeyAttributeType.String), new KeyAttribute("openSk", KeyAttributeType.String)),
            // A subject's jobs by its ref (never its id): the list filter, and the erasure that forgets their free-text reasons.
            new IndexDefinition("bySubject", new KeyAttribute("subjectPk", KeyAttributeType.String), new KeyAttribute("subjectSk", KeyAttributeType.String)),
        ],
        TimeToLiveAttribute: "expiresAt");

    public static TableDefinition Inventory { get; } = new(
        "Inventory", "LETHE_TABLE_INVENTORY", Pk, Sk,
        [
            new IndexDefinition("bySubject", new KeyAttribute("subjectPk", KeyAttributeType.String), new KeyAttribute("subjectSk", KeyAttributeType.String)),
            new IndexDefinition("byExpiry", new KeyAttribute("expiryPk", KeyAttributeType.String), new KeyAttribute("expirySk", KeyAttributeType.String)),
            // Sparse: only soft-deleted items carry purgePk, so the sweep finds what a cancelled erasure left without a scan.
            new IndexDefinition("byPurge", new KeyAttribute("purgePk", KeyAttributeType.String), new KeyAttribute("purgeSk", KeyAttributeType.String)),
            // Sparse: deletion tombstones by the job that purged them (TENANT#t#JOB#id / itemId), for the backup scrub and the
            // replay of erasures after a restore.
            new IndexDefinition("byPurger", new KeyAttribute("purgerPk", KeyAttributeType.String), new KeyAttribute("purgerSk", KeyAttributeType.String)),
        ]);

    public static TableDefinition Records { get; } = new("Records", "LETHE_TABLE_RECORDS", Pk, Sk, []);

    /// <summary>
    /// Journal events and the hash chain; the stream feeds the chainer. <c>unchained</c> is a sparse index of journal events
    /// not yet linked (the chainer removes the attribute), so the chainer and verify never scan the whole journal.
    /// </summary>
    public static TableDefinition Audit { get; } = new(
        "Audit", "LETHE_TABLE_AUDIT", Pk, Sk,
        [
            new IndexDefinition("unchained", new KeyAttribute("unchainedPk", KeyAttributeType.String), Sk),
            // Chained events by time (TENANT#t / at#seq): GET …/audit?from=&to= reads a range without scanning the chain.
            new IndexDefinition("byTime", new KeyAttribute("timePk", KeyAttributeType.String), new KeyAttribute("timeSk", KeyAttributeType.String)),
        ],
        StreamNewImages: true);

    /// <summary>Wrapped subject KEKs and subject-ref items. Deleting a KEK item is crypto-shredding.</summary>
    public static TableDefinition Keys { get; } = new("Keys", "LETHE_TABLE_KEYS", Pk, Sk, []);

    /// <summary>
    /// Erasures' page manifests (<c>TENANT#t</c> / <c>MANIFEST#job#page#part</c>): what each soft-delete page hid, read back by
    /// the purge instead of the index. Ids and storage keys only; deleted when the erasure completes, expired by TTL otherwise.
    /// </summary>
    public static TableDefinition Manifests { get; } = new("Manifests", "LETHE_TABLE_MANIFESTS", Pk, Sk, [], TimeToLiveAttribute: "expiresAt");

    public static IReadOnlyList<TableDefinition> Tables { get; } = [Tenants, Jobs, Inventory, Records, Audit, Keys, Manifests];

    /// <summary>
    /// The tables an erasure changes (records deleted, KEKs shredded, items purged, free-text reasons forgotten): a backup of them
    /// from before a deletion holds what it removed, so the backup scrub checks these (the audit keeps only refs, for seven years).
    /// </summary>
    public static IReadOnlyList<TableDefinition> ErasedDataTables { get; } = [Records, Keys, Inventory, Jobs];

    public static BucketDefinition Ingest { get; } = new("Ingest", "LETHE_BUCKET_INGEST", Versioned: false, ObjectLock: false, ExpireAfterDays: 1);

    public static BucketDefinition Data { get; } = new(
        "Data", "LETHE_BUCKET_DATA", Versioned: true, ObjectLock: false,
        NoncurrentExpireAfterDays: 30,
        TierTransitions: [new TierTransition("archive", StorageTier.Archive, 0), new TierTransition("deep-archive", StorageTier.DeepArchive, 0)]);

    public static BucketDefinition Exports { get; } = new("Exports", "LETHE_BUCKET_EXPORTS", Versioned: false, ObjectLock: false, ExpireAfterDays: 7);

    /// <summary>Certificates are evidence for seven years (the audit-log period), immutable in compliance mode.</summary>
    public static BucketDefinition Certificates { get; } = new("Certificates", "LETHE_BUCKET_CERTIFICATES", Versioned: true, ObjectLock: true, ObjectLockRetentionDays: 2555);

    public static BucketDefinition AuditArchive { get; } = new("AuditArchive", "LETHE_BUCKET_AUDIT_ARCHIVE", Versioned: true, ObjectLock: true, ObjectLockRetentionDays: 2555);

    public static BucketDefinition Quarantine { get; } = new("Quarantine", "LETHE_BUCKET_QUARANTINE", Versioned: false, ObjectLock: false, ExpireAfterDays: 30);

    public static IReadOnlyList<BucketDefinition> Buckets { get; } = [Ingest, Data, Exports, Certificates, AuditArchive, Quarantine];

    /// <summary>
    /// The tables whose tenant partition an offboarding empties, in the order it empties them: the Keys table first (every KEK and
    /// the subject-ref key go before anything else). The audit trail is not among them: it stays.
    /// </summary>
    public static IReadOnlyList<TableDefinition> OffboardedTables { get; } = [Keys, Records, Inventory, Manifests, Tenants, Jobs];

    /// <summary>The buckets whose tenant prefix an offboarding empties (certificates and the audit archive stay, under Object Lock).</summary>
    public static IReadOnlyList<BucketDefinition> OffboardedBuckets { get; } = [Data, Exports, Ingest, Quarantine];

    public static KmsKeyDefinition PlatformKey { get; } = new("PlatformKey", "LETHE_KEY_PLATFORM", KeyKind.SymmetricEncryption, "platform");

    public static KmsKeyDefinition SigningKey { get; } = new("SigningKey", "LETHE_KEY_SIGNING", KeyKind.EccP256Signing, "signing");

    public static IReadOnlyList<KmsKeyDefinition> KmsKeys { get; } = [PlatformKey, SigningKey];

    public static QueueDefinition IngestQueue { get; } = new("IngestQueue", "LETHE_QUEUE_INGEST", VisibilityTimeoutSeconds: 360, MaxReceiveCount: 5, DeadLetterLogicalName: "IngestDeadLetterQueue");

    public static IReadOnlyList<QueueDefinition> Queues { get; } = [IngestQueue];

    /// <summary>Job notices (erasure completed, export ready): ids and links only.</summary>
    public static TopicDefinition Notifications { get; } = new("Notifications", "LETHE_TOPIC_NOTIFICATIONS");

    public static IReadOnlyList<TopicDefinition> Topics { get; } = [Notifications];

    /// <summary>Denied and refused requests (401, 403, 429), kept 12 months (the security log class), apart from the 90-day application logs.</summary>
    public static LogGroupDefinition SecurityLog { get; } = new("SecurityLog", "LETHE_LOG_GROUP_SECURITY", 365);

    public static IReadOnlyList<LogGroupDefinition> LogGroups { get; } = [SecurityLog];

    /// <summary>A table by its logical name, as inventory locations name it.</summary>
    public static TableDefinition TableNamed(string logicalName) =>
        Tables.FirstOrDefault(t => t.LogicalName == logicalName) ?? throw new ArgumentException($"No table is named {logicalName}.", nameof(logicalName));

    /// <summary>A bucket by its logical name, as inventory locations name it.</summary>
    public static BucketDefinition BucketNamed(string logicalName) =>
        Buckets.FirstOrDefault(b => b.LogicalName == logicalName) ?? throw new ArgumentException($"No bucket is named {logicalName}.", nameof(logicalName));
}
