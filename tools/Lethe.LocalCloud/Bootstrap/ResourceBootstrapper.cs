using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using Lethe.Catalog;
using KmsTag = Amazon.KeyManagementService.Model.Tag;
using S3Tag = Amazon.S3.Model.Tag;

namespace Lethe.LocalCloud.Bootstrap;

/// <summary>
/// Creates the catalog's tables, buckets, keys and queues in the local cloud with the same schemas and rules as the CDK app,
/// and returns the environment variables that carry their physical names (the same variables the CDK app sets on functions).
/// </summary>
public sealed class ResourceBootstrapper
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly IAmazonS3 _s3;
    private readonly IAmazonKeyManagementService _kms;
    private readonly IAmazonSQS _sqs;
    private readonly string _prefix;

    public ResourceBootstrapper(IAmazonDynamoDB dynamo, IAmazonS3 s3, IAmazonKeyManagementService kms, IAmazonSQS sqs, string prefix)
    {
        _dynamo = dynamo;
        _s3 = s3;
        _kms = kms;
        _sqs = sqs;
        _prefix = prefix;
    }

    /// <summary>SNS through its query API (AWSSDK.SimpleNotificationService is not on our feed).</summary>
    public SnsQueryClient? Sns { get; init; }

    /// <summary>Creates Lethe's own log groups (the security log) with their retention.</summary>
    public Lethe.Aws.Logs.CloudWatchLogsClient? Logs { get; init; }

    public static string PhysicalName(string prefix, string logicalName)
    {
        ArgumentNullException.ThrowIfNull(logicalName);
        var kebab = new StringBuilder(prefix).Append('-');
        for (var i = 0; i < logicalName.Length; i++)
        {
            var c = logicalName[i];
            if (char.IsUpper(c) && i > 0)
            {
                kebab.Append('-');
            }

            kebab.Append(char.ToLowerInvariant(c));
        }

        return kebab.ToString();
    }

    public async Task<IReadOnlyDictionary<string, string>> CreateAllAsync(CancellationToken cancellationToken)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var keyIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in ResourceCatalog.KmsKeys)
        {
            var id = await CreateKeyAsync(key, cancellationToken);
            keyIds[key.LogicalName] = id;
            variables[key.IdVariable] = id;
        }

        await Task.WhenAll(ResourceCatalog.Tables.Select(async table =>
        {
            var name = PhysicalName(_prefix, table.LogicalName);
            await CreateTableAsync(table, name, cancellationToken);
            lock (variables)
            {
                variables[table.NameVariable] = name;
            }
        }));

        foreach (var bucket in ResourceCatalog.Buckets)
        {
            var name = PhysicalName(_prefix, bucket.LogicalName);
            await CreateBucketAsync(bucket, name, keyIds[ResourceCatalog.PlatformKey.LogicalName], cancellationToken);
            variables[bucket.NameVariable] = name;
        }

        // The data bucket's replica (in AWS an optional bucket S3 replication copies into): the local cloud always has one, so
        // the backup scrub's replica path runs in every test. Nothing replicates into it here; tests put copies themselves.
        var replica = PhysicalName(_prefix, ResourceCatalog.Data.LogicalName + "Replica");
        await CreateBucketAsync(ResourceCatalog.Data, replica, keyIds[ResourceCatalog.PlatformKey.LogicalName], cancellationToken);
        variables[Variables.DataReplicaBucket] = replica;

        foreach (var queue in ResourceCatalog.Queues)
        {
            variables[queue.UrlVariable] = await CreateQueueAsync(queue, cancellationToken);
        }

        // What the CDK app's S3 notification does: every object created in the ingest bucket is an event on the ingest queue.
        var ingestQueueArn = (await _sqs.GetQueueAttributesAsync(variables[ResourceCatalog.IngestQueue.UrlVariable], ["QueueArn"], cancellationToken)).QueueARN;
        await _s3.PutBucketNotificationAsync(new Amazon.S3.Model.PutBucketNotificationRequest
        {
            BucketName = variables[ResourceCatalog.Ingest.NameVariable],
            QueueConfigurations =
            [
                new Amazon.S3.Model.QueueConfiguration { Queue = ingestQueueArn, Events = [Amazon.S3.EventType.ObjectCreatedAll] },
            ],
        }, cancellationToken);

        if (Sns is not null)
        {
            foreach (var topic in ResourceCatalog.Topics)
            {
                variables[topic.ArnVariable] = await Sns.CreateTopicAsync(PhysicalName(_prefix, topic.LogicalName), cancellationToken);
            }
        }

        if (Logs is not null)
        {
            foreach (var group in ResourceCatalog.LogGroups)
            {
                var name = PhysicalName(_prefix, group.LogicalName);
                await Logs.CreateLogGroupAsync(name, group.RetentionDays, cancellationToken);
                variables[group.NameVariable] = name;
            }
        }

        return variables;
    }

    private async Task CreateTableAsync(TableDefinition table, string name, CancellationToken cancellationToken)
    {
        var attributes = new Dictionary<string, KeyAttribute>(StringComparer.Ordinal)
        {
            [table.PartitionKey.Name] = table.PartitionKey,
            [table.SortKey.Name] = table.SortKey,
        };
        foreach (var index in table.GlobalIndexes)
        {
            attributes[index.PartitionKey.Name] = index.PartitionKey;
            if (index.SortKey is { } sort)
            {
                attributes[sort.Name] = sort;
            }
        }

        var request = new CreateTableRequest
        {
            TableName = name,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions = attributes.Values.Select(a => new AttributeDefinition(a.Name, ToScalar(a.Type))).ToList(),
            KeySchema = [new KeySchemaElement(table.PartitionKey.Name, KeyType.HASH), new KeySchemaElement(table.SortKey.Name, KeyType.RANGE)],
            GlobalSecondaryIndexes = table.GlobalIndexes.Count == 0 ? null : table.GlobalIndexes.Select(i => new GlobalSecondaryIndex
            {
                IndexName = i.Name,
                KeySchema = i.SortKey is null
                    ? [new KeySchemaElement(i.PartitionKey.Name, KeyType.HASH)]
                    : [new KeySchemaElement(i.PartitionKey.Name, KeyType.HASH), new KeySchemaElement(i.SortKey.Name, KeyType.RANGE)],
                Projection = new Projection { ProjectionType = ProjectionType.ALL },
            }).ToList(),
            StreamSpecification = table.StreamNewImages
                ? new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_IMAGE }
                : null,
            SSESpecification = new SSESpecification { Enabled = true, SSEType = SSEType.KMS },
        };
        try
        {
            await _dynamo.CreateTableAsync(request, cancellationToken);
        }
        catch (ResourceInUseException)
        {
            // Already there (a restarted gateway against a running moto): nothing to do.
        }

        await _dynamo.UpdateContinuousBackupsAsync(new UpdateContinuousBackupsRequest
        {
            TableName = name,
            PointInTimeRecoverySpecification = new PointInTimeRecoverySpecification { PointInTimeRecoveryEnabled = true, RecoveryPeriodInDays = 30 },
        }, cancellationToken);

        if (table.TimeToLiveAttribute is { } ttl)
        {
            await _dynamo.UpdateTimeToLiveAsync(new UpdateTimeToLiveRequest
            {
                TableName = name,
                TimeToLiveSpecification = new TimeToLiveSpecification { AttributeName = ttl, Enabled = true },
            }, cancellationToken);
        }
    }

    private static ScalarAttributeType ToScalar(KeyAttributeType type) =>
        type == KeyAttributeType.Number ? ScalarAttributeType.N : ScalarAttributeType.S;

    private async Task CreateBucketAsync(BucketDefinition bucket, string name, string platformKeyId, CancellationToken cancellationToken)
    {
        // Object Lock can only be enabled when the bucket is created.
        await _s3.PutBucketAsync(new PutBucketRequest { BucketName = name, ObjectLockEnabledForBucket = bucket.ObjectLock ? true : null }, cancellationToken);
        if (bucket.Versioned)
        {
            await _s3.PutBucketVersioningAsync(new PutBucketVersioningRequest
            {
                BucketName = name,
                VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
            }, cancellationToken);
        }

        if (bucket.ObjectLock && bucket.ObjectLockRetentionDays is { } days)
        {
            await _s3.PutObjectLockConfigurationAsync(new PutObjectLockConfigurationRequest
            {
                BucketName = name,
                ObjectLockConfiguration = new ObjectLockConfiguration
                {
                    ObjectLockEnabled = ObjectLockEnabled.Enabled,
                    Rule = new ObjectLockRule { DefaultRetention = new DefaultRetention { Mode = ObjectLockRetentionMode.Compliance, Days = days } },
                },
            }, cancellationToken);
        }

        await _s3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
        {
            BucketName = name,
            PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration
            {
                BlockPublicAcls = true,
                BlockPublicPolicy = true,
                IgnorePublicAcls = true,
                RestrictPublicBuckets = true,
            },
        }, cancellationToken);

        await _s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = name,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules =
                [
                    new ServerSideEncryptionRule
                    {
                        BucketKeyEnabled = true,
                        ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault
                        {
                            ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AWSKMS,
                            ServerSideEncryptionKeyManagementServiceKeyId = platformKeyId,
                        },
                    },
                ],
            },
        }, cancellationToken);

        var rules = LifecycleRules(bucket);
        if (rules.Count > 0)
        {
            await _s3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
            {
                BucketName = name,
                Configuration = new LifecycleConfiguration { Rules = rules },
            }, cancellationToken);
        }
    }

    /// <summary>The same lifecycle rules the CDK app puts on the bucket (moto stores them; our code never relies on them running).</summary>
    private static List<LifecycleRule> LifecycleRules(BucketDefinition bucket)
    {
        var rules = new List<LifecycleRule>();
        if (bucket.ExpireAfterDays is { } expire)
        {
            rules.Add(new LifecycleRule
            {
                Id = "expire",
                Status = LifecycleRuleStatus.Enabled,
                Filter = EveryObject(),
                Expiration = new LifecycleRuleExpiration { Days = expire },
            });
        }

        if (bucket.NoncurrentExpireAfterDays is { } noncurrent)
        {
            rules.Add(new LifecycleRule
            {
                Id = "expire-noncurrent-versions",
                Status = LifecycleRuleStatus.Enabled,
                Filter = EveryObject(),
                NoncurrentVersionExpiration = new LifecycleRuleNoncurrentVersionExpiration { NoncurrentDays = noncurrent },
            });
        }

        foreach (var transition in bucket.TierTransitions ?? [])
        {
            rules.Add(new LifecycleRule
            {
                Id = $"tier-{transition.TagValue}",
                Status = LifecycleRuleStatus.Enabled,
                Filter = new LifecycleFilter { LifecycleFilterPredicate = new LifecycleTagPredicate { Tag = new S3Tag { Key = ResourceCatalog.TagTier, Value = transition.TagValue } } },
                Transitions =
                [
                    new LifecycleTransition
                    {
                        Days = transition.AfterDays,
                        StorageClass = transition.Tier == StorageTier.Archive ? S3StorageClass.Glacier : S3StorageClass.DeepArchive,
                    },
                ],
            });
        }

        return rules;
    }

    private static LifecycleFilter EveryObject() => new() { LifecycleFilterPredicate = new LifecyclePrefixPredicate { Prefix = string.Empty } };

    private async Task<string> CreateKeyAsync(KmsKeyDefinition key, CancellationToken cancellationToken)
    {
        var request = key.Kind == KeyKind.EccP256Signing
            ? new CreateKeyRequest { KeySpec = KeySpec.ECC_NIST_P256, KeyUsage = KeyUsageType.SIGN_VERIFY }
            : new CreateKeyRequest { KeySpec = KeySpec.SYMMETRIC_DEFAULT, KeyUsage = KeyUsageType.ENCRYPT_DECRYPT };
        request.Description = $"Lethe {key.LogicalName} ({_prefix})";
        request.Tags = [new KmsTag { TagKey = "lethe:resource", TagValue = key.LogicalName }];
        var created = await _kms.CreateKeyAsync(request, cancellationToken);
        var keyId = created.KeyMetadata.KeyId;
        if (key.Kind == KeyKind.SymmetricEncryption)
        {
            await _kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = keyId }, cancellationToken);
        }

        await _kms.CreateAliasAsync(new CreateAliasRequest { AliasName = $"alias/{_prefix}-{key.AliasSuffix}", TargetKeyId = keyId }, cancellationToken);
        return created.KeyMetadata.Arn;
    }

    private async Task<string> CreateQueueAsync(QueueDefinition queue, CancellationToken cancellationToken)
    {
        var dlq = await _sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = PhysicalName(_prefix, queue.DeadLetterLogicalName),
            Attributes = new Dictionary<string, string> { ["MessageRetentionPeriod"] = "1209600" },
        }, cancellationToken);
        var dlqArn = (await _sqs.GetQueueAttributesAsync(dlq.QueueUrl, ["QueueArn"], cancellationToken)).QueueARN;
        var created = await _sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = PhysicalName(_prefix, queue.LogicalName),
            Attributes = new Dictionary<string, string>
            {
                ["VisibilityTimeout"] = queue.VisibilityTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{dlqArn}\",\"maxReceiveCount\":{queue.MaxReceiveCount}}}",
            },
        }, cancellationToken);
        return created.QueueUrl;
    }
}
