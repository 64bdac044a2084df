using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>The local cloud creates the catalog's resources with the catalog's schemas and rules.</summary>
public sealed class ResourceBootstrapTests(LocalCloudFixture fixture)
{
    private ResourceNames Names => new(v => fixture.Cloud.Environment.TryGetValue(v, out var value) ? value : null);

    [Fact]
    public async Task Every_catalog_table_exists_with_its_keys_indexes_stream_and_PITR()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        foreach (var table in ResourceCatalog.Tables)
        {
            var described = (await dynamo.DescribeTableAsync(Names.Table(table), ct)).Table;
            described.KeySchema.Select(k => k.AttributeName).Should().Equal(table.PartitionKey.Name, table.SortKey.Name);
            (described.GlobalSecondaryIndexes ?? []).Select(i => i.IndexName).Should().BeEquivalentTo(table.GlobalIndexes.Select(i => i.Name));
            (described.StreamSpecification?.StreamEnabled ?? false).Should().Be(table.StreamNewImages, table.LogicalName);
            var backups = await dynamo.DescribeContinuousBackupsAsync(new DescribeContinuousBackupsRequest { TableName = described.TableName }, ct);
            backups.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus.Value.Should().Be("ENABLED");
        }
    }

    [Fact]
    public async Task Versioned_buckets_are_versioned_and_Object_Lock_buckets_refuse_to_delete_a_locked_version()
    {
        var ct = TestContext.Current.CancellationToken;
        using var s3 = fixture.Cloud.CreateS3Client();
        foreach (var bucket in ResourceCatalog.Buckets.Where(b => b.Versioned))
        {
            var versioning = await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = Names.Bucket(bucket) }, ct);
            versioning.VersioningConfig.Status.Should().Be(VersionStatus.Enabled, bucket.LogicalName);
        }

        var certificates = Names.Bucket(ResourceCatalog.Certificates);
        var key = $"probe/{Guid.NewGuid():N}.json";
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = certificates, Key = key, ContentBody = "{}" }, ct);
        put.VersionId.Should().NotBeNullOrEmpty();

        var delete = () => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = certificates, Key = key, VersionId = put.VersionId }, ct);

        await delete.Should().ThrowAsync<AmazonS3Exception>();
        var still = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = certificates, Key = key, VersionId = put.VersionId }, ct);
        still.ObjectLockMode.Should().Be(ObjectLockMode.Compliance);
    }

    [Fact]
    public async Task Data_bucket_carries_tier_transitions_and_noncurrent_expiry()
    {
        using var s3 = fixture.Cloud.CreateS3Client();
        var lifecycle = await s3.GetLifecycleConfigurationAsync(Names.Bucket(ResourceCatalog.Data), TestContext.Current.CancellationToken);

        lifecycle.Configuration.Rules.Should().Contain(r => r.NoncurrentVersionExpiration != null && r.NoncurrentVersionExpiration.NoncurrentDays <= 30);
        lifecycle.Configuration.Rules.SelectMany(r => r.Transitions ?? []).Select(t => t.StorageClass.Value)
            .Should().BeEquivalentTo(["GLACIER", "DEEP_ARCHIVE"]);
    }

    [Fact]
    public async Task Kms_keys_exist_with_their_aliases_and_the_signing_key_signs()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kms = fixture.Cloud.CreateKmsClient();
        var aliases = (await kms.ListAliasesAsync(new Amazon.KeyManagementService.Model.ListAliasesRequest(), ct)).Aliases.Select(a => a.AliasName);
        aliases.Should().Contain(["alias/lethe-it-platform", "alias/lethe-it-signing"]);

        var signature = await kms.SignAsync(new Amazon.KeyManagementService.Model.SignRequest
        {
            KeyId = Names.Key(ResourceCatalog.SigningKey),
            Message = new MemoryStream("probe"u8.ToArray()),
            MessageType = Amazon.KeyManagementService.MessageType.RAW,
            SigningAlgorithm = Amazon.KeyManagementService.SigningAlgorithmSpec.ECDSA_SHA_256,
        }, ct);
        signature.Signature.Length.Should().BeGreaterThan(60);
    }

    [Fact]
    public async Task The_ingest_queue_redrives_to_its_dead_letter_queue()
    {
        using var sqs = fixture.Cloud.CreateSqsClient();
        var attributes = await sqs.GetQueueAttributesAsync(Names.Queue(ResourceCatalog.IngestQueue), ["RedrivePolicy"], TestContext.Current.CancellationToken);

        using var policy = System.Text.Json.JsonDocument.Parse(attributes.Attributes["RedrivePolicy"]);
        policy.RootElement.GetProperty("deadLetterTargetArn").GetString().Should().EndWith(":lethe-it-ingest-dead-letter-queue");
        policy.RootElement.GetProperty("maxReceiveCount").GetInt32().Should().Be(ResourceCatalog.IngestQueue.MaxReceiveCount);
    }
}
