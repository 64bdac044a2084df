using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.SQS;
using Constructs;
using Lethe.Catalog;
using Attribute = Amazon.CDK.AWS.DynamoDB.Attribute;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// Everything that holds data: tables, buckets, keys and queues, built from the shared <see cref="ResourceCatalog"/>
/// (the local cloud builds the same list). Retained on stack deletion: data outlives a deployment mistake.
/// </summary>
public sealed class StatefulStack : Stack
{
    /// <summary>DynamoDB PITR keeps at most this many days, in line with the 30-day rolling backup policy.</summary>
    public const int PitrRecoveryDays = 30;

    public StatefulStack(Construct scope, string id, string stage, IStackProps? props = null) : base(scope, id, props)
    {
        Stage = stage;
        PlatformKey = new Key(this, ResourceCatalog.PlatformKey.LogicalName, new KeyProps
        {
            Description = $"Lethe {stage}: platform key (tables, buckets, queues)",
            EnableKeyRotation = true,
            Alias = $"alias/lethe-{stage}-{ResourceCatalog.PlatformKey.AliasSuffix}",
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        SigningKey = new Key(this, ResourceCatalog.SigningKey.LogicalName, new KeyProps
        {
            Description = $"Lethe {stage}: signs deletion certificates and audit anchors (ECDSA P-256)",
            KeySpec = KeySpec.ECC_NIST_P256,
            KeyUsage = KeyUsage.SIGN_VERIFY,
            Alias = $"alias/lethe-{stage}-{ResourceCatalog.SigningKey.AliasSuffix}",
            RemovalPolicy = RemovalPolicy.RETAIN,
        });

        foreach (var definition in ResourceCatalog.Tables)
        {
            Tables[definition.LogicalName] = CreateTable(definition);
        }

        foreach (var definition in ResourceCatalog.Buckets)
        {
            Buckets[definition.LogicalName] = CreateBucket(definition);
        }

        foreach (var definition in ResourceCatalog.Queues)
        {
            Queues[definition.LogicalName] = CreateQueue(definition);
        }

        NotifyIngestQueue(Buckets[ResourceCatalog.Ingest.LogicalName], Queues[ResourceCatalog.IngestQueue.LogicalName]);
        ProtectIngestBucket(Buckets[ResourceCatalog.Ingest.LogicalName]);

        foreach (var definition in ResourceCatalog.Topics)
        {
            // Encrypted with the platform key; subscribers only ever get ids and links (no personal data goes to SNS).
            Topics[definition.LogicalName] = new Amazon.CDK.AWS.SNS.Topic(this, $"{definition.LogicalName}Topic", new Amazon.CDK.AWS.SNS.TopicProps
            {
                DisplayName = $"Lethe {stage} {definition.LogicalName.ToLowerInvariant()}",
                MasterKey = PlatformKey,
                EnforceSSL = true,
            });
        }

        foreach (var definition in ResourceCatalog.LogGroups)
        {
            // A fixed retention class of its own (the security log: 12 months), kept when the stack goes.
            LogGroups[definition.LogicalName] = new Amazon.CDK.AWS.Logs.LogGroup(this, definition.LogicalName, new Amazon.CDK.AWS.Logs.LogGroupProps
            {
                LogGroupName = $"/lethe/{stage}/{definition.LogicalName.ToLowerInvariant()}",
                Retention = definition.RetentionDays switch
                {
                    365 => Amazon.CDK.AWS.Logs.RetentionDays.ONE_YEAR,
                    90 => Amazon.CDK.AWS.Logs.RetentionDays.THREE_MONTHS,
                    _ => throw new InvalidOperationException($"Log group {definition.LogicalName}: no CloudWatch retention class of {definition.RetentionDays} days."),
                },
                RemovalPolicy = RemovalPolicy.RETAIN,
            });
        }
    }

    public string Stage { get; }

    public Key PlatformKey { get; }

    public Key SigningKey { get; }

    public Dictionary<string, Table> Tables { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Bucket> Buckets { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Queue> Queues { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Amazon.CDK.AWS.SNS.Topic> Topics { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Amazon.CDK.AWS.Logs.LogGroup> LogGroups { get; } = new(StringComparer.Ordinal);

    private static Attribute ToAttribute(KeyAttribute key) => new()
    {
        Name = key.Name,
        Type = key.Type == KeyAttributeType.Number ? AttributeType.NUMBER : AttributeType.STRING,
    };

    private Table CreateTable(TableDefinition definition)
    {
        var table = new Table(this, definition.LogicalName, new TableProps
        {
            PartitionKey = ToAttribute(definition.PartitionKey),
            SortKey = ToAttribute(definition.SortKey),
            BillingMode = BillingMode.PAY_PER_REQUEST,
            Encryption = TableEncryption.CUSTOMER_MANAGED,
            EncryptionKey = PlatformKey,
            PointInTimeRecovery = true,
            Stream = definition.StreamNewImages ? StreamViewType.NEW_IMAGE : null,
            TimeToLiveAttribute = definition.TimeToLiveAttribute,
            RemovalPolicy = RemovalPolicy.RETAIN,
            DeletionProtection = true,
        });
        foreach (var index in definition.GlobalIndexes)
        {
            table.AddGlobalSecondaryIndex(new GlobalSecondaryIndexProps
            {
                IndexName = index.Name,
                PartitionKey = ToAttribute(index.PartitionKey),
                SortKey = index.SortKey is null ? null : ToAttribute(index.SortKey),
                ProjectionType = ProjectionType.ALL,
            });
        }

        // RecoveryPeriodInDays is newer than CDK 2.160 (the newest whose Constructs our feed serves): set it on the L1 resource.
        ((CfnTable)table.Node.DefaultChild!).AddPropertyOverride("PointInTimeRecoverySpecification.RecoveryPeriodInDays", PitrRecoveryDays);
        return table;
    }

    private Bucket CreateBucket(BucketDefinition definition)
    {
        var rules = new List<ILifecycleRule>();
        if (definition.ExpireAfterDays is { } expire)
        {
            rules.Add(new LifecycleRule { Id = "expire", Expiration = Duration.Days(expire), AbortIncompleteMultipartUploadAfter = Duration.Days(1) });
        }

        if (definition.NoncurrentExpireAfterDays is { } noncurrent)
        {
            rules.Add(new LifecycleRule { Id = "expire-noncurrent-versions", NoncurrentVersionExpiration = Duration.Days(noncurrent) });
        }

        foreach (var transition in definition.TierTransitions ?? [])
        {
            rules.Add(new LifecycleRule
            {
                Id = $"tier-{transition.TagValue}",
                TagFilters = new Dictionary<string, object> { [ResourceCatalog.TagTier] = transition.TagValue },
                Transitions =
                [
                    new Transition
                    {
                        StorageClass = transition.Tier == StorageTier.Archive ? StorageClass.GLACIER : StorageClass.DEEP_ARCHIVE,
                        TransitionAfter = Duration.Days(transition.AfterDays),
                    },
                ],
            });
        }

        return new Bucket(this, definition.LogicalName, new BucketProps
        {
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            Encryption = BucketEncryption.KMS,
            EncryptionKey = PlatformKey,
            BucketKeyEnabled = true,
            Versioned = definition.Versioned,
            ObjectLockEnabled = definition.ObjectLock ? true : null,
            ObjectLockDefaultRetention = definition.ObjectLockRetentionDays is { } days ? ObjectLockRetention.Compliance(Duration.Days(days)) : null,
            LifecycleRules = rules.Count == 0 ? null : rules.ToArray(),
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
    }

    /// <summary>
    /// Ingest (DESIGN.md, step 1): every object created in the ingest bucket is an event on the ingest queue. Written on the
    /// bucket itself (no notification custom resource and its function), with S3 admitted by this account to the queue and to
    /// the platform key the queue is encrypted under: naming the bucket's ARN there would make key and bucket depend on each
    /// other (the bucket is encrypted under the same key).
    /// </summary>
    private void NotifyIngestQueue(Bucket bucket, Queue queue)
    {
        var fromThisAccount = new Dictionary<string, object> { ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = Aws.ACCOUNT_ID } };
        var policy = queue.AddToResourcePolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps
        {
            Principals = [new Amazon.CDK.AWS.IAM.ServicePrincipal("s3.amazonaws.com")],
            Actions = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            Resources = [queue.QueueArn],
            Conditions = fromThisAccount,
        }));
        PlatformKey.AddToResourcePolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps
        {
            Principals = [new Amazon.CDK.AWS.IAM.ServicePrincipal("s3.amazonaws.com")],
            Actions = ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resources = ["*"],
            Conditions = fromThisAccount,
        }));
        var cfn = (Amazon.CDK.AWS.S3.CfnBucket)bucket.Node.DefaultChild!;
        cfn.NotificationConfiguration = new Amazon.CDK.AWS.S3.CfnBucket.NotificationConfigurationProperty
        {
            QueueConfigurations = new object[]
            {
                new Amazon.CDK.AWS.S3.CfnBucket.QueueConfigurationProperty { Event = "s3:ObjectCreated:*", Queue = queue.QueueArn },
            },
            // GuardDuty Malware Protection listens through EventBridge: kept on here, or a stack update would switch it off.
            EventBridgeConfiguration = new Amazon.CDK.AWS.S3.CfnBucket.EventBridgeConfigurationProperty { EventBridgeEnabled = true },
        };
        // S3 checks that it may send to the queue when the configuration is written.
        if (policy.PolicyDependable is { } written)
        {
            bucket.Node.AddDependency(written);
        }
    }

    /// <summary>
    /// GuardDuty Malware Protection for S3 on the ingest bucket (DESIGN.md, ingest): every new object is scanned and tagged
    /// <c>GuardDutyMalwareScanStatus</c>, the verdict the ingest consumer reads. Its role holds what the plan's documentation
    /// lists: the managed EventBridge rule, the bucket's notification, reading objects and tagging them, the key they are
    /// encrypted under (through S3 only).
    /// </summary>
    private void ProtectIngestBucket(Bucket bucket)
    {
        var role = new Amazon.CDK.AWS.IAM.Role(this, "IngestMalwareProtectionRole", new Amazon.CDK.AWS.IAM.RoleProps
        {
            Description = "GuardDuty Malware Protection for S3: scans and tags the ingest bucket's new objects.",
            AssumedBy = new Amazon.CDK.AWS.IAM.ServicePrincipal("malware-protection-plan.guardduty.amazonaws.com"),
        });
        var rule = $"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*";
        var managedBy = new Dictionary<string, object> { ["StringLike"] = new Dictionary<string, object> { ["events:ManagedBy"] = "malware-protection-plan.guardduty.amazonaws.com" } };
        role.AddToPolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps
        {
            Actions = ["events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"],
            Resources = [rule],
            Conditions = managedBy,
        }));
        role.AddToPolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps { Actions = ["events:DescribeRule", "events:ListTargetsByRule"], Resources = [rule] }));
        role.AddToPolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps
        {
            Actions = ["s3:PutBucketNotification", "s3:GetBucketNotification", "s3:ListBucket"],
            Resources = [bucket.BucketArn],
        }));
        role.AddToPolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps
        {
            Actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"],
            Resources = [bucket.ArnForObjects("*")],
        }));
        // The plan proves it can write to the bucket with one validation object.
        role.AddToPolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps
        {
            Actions = ["s3:PutObject"],
            Resources = [bucket.ArnForObjects("malware-protection-resource-validation-object")],
        }));
        role.AddToPolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps
        {
            Actions = ["kms:Decrypt", "kms:GenerateDataKey"],
            Resources = [PlatformKey.KeyArn],
            Conditions = new Dictionary<string, object> { ["StringLike"] = new Dictionary<string, object> { ["kms:ViaService"] = "s3.*.amazonaws.com" } },
        }));
        var plan = new Amazon.CDK.AWS.GuardDuty.CfnMalwareProtectionPlan(this, "IngestMalwareProtection", new Amazon.CDK.AWS.GuardDuty.CfnMalwareProtectionPlanProps
        {
            Role = role.RoleArn,
            ProtectedResource = new Amazon.CDK.AWS.GuardDuty.CfnMalwareProtectionPlan.CFNProtectedResourceProperty
            {
                S3Bucket = new Amazon.CDK.AWS.GuardDuty.CfnMalwareProtectionPlan.S3BucketProperty { BucketName = bucket.BucketName },
            },
            Actions = new Amazon.CDK.AWS.GuardDuty.CfnMalwareProtectionPlan.CFNActionsProperty
            {
                Tagging = new Amazon.CDK.AWS.GuardDuty.CfnMalwareProtectionPlan.CFNTaggingProperty { Status = "ENABLED" },
            },
        });
        // The role's policy first (GuardDuty checks the role when the plan is created).
        plan.Node.AddDependency(role);
    }

    private Queue CreateQueue(QueueDefinition definition)
    {
        var deadLetters = new Queue(this, definition.DeadLetterLogicalName, new QueueProps
        {
            Encryption = QueueEncryption.KMS,
            EncryptionMasterKey = PlatformKey,
            EnforceSSL = true,
            RetentionPeriod = Duration.Days(14),
        });
        Queues[definition.DeadLetterLogicalName] = deadLetters;
        return new Queue(this, definition.LogicalName, new QueueProps
        {
            Encryption = QueueEncryption.KMS,
            EncryptionMasterKey = PlatformKey,
            EnforceSSL = true,
            VisibilityTimeout = Duration.Seconds(definition.VisibilityTimeoutSeconds),
            DeadLetterQueue = new DeadLetterQueue { Queue = deadLetters, MaxReceiveCount = definition.MaxReceiveCount },
        });
    }
}
