using Lethe.Domain.Policies;
using System.Text.Json;
using Amazon.CDK.Assertions;
using Lethe.Catalog;

namespace Lethe.Tests.Cdk;

public sealed class StatefulStackTests(SynthesizedApp synth)
{
    private IEnumerable<(string LogicalId, JsonElement Properties)> Tables => SynthesizedApp.Resources(synth.StatefulJson, "AWS::DynamoDB::Table");

    private IEnumerable<(string LogicalId, JsonElement Properties)> Buckets => SynthesizedApp.Resources(synth.StatefulJson, "AWS::S3::Bucket");

    private (string LogicalId, JsonElement Properties) Bucket(BucketDefinition definition) =>
        Buckets.Single(b => b.LogicalId.StartsWith(definition.LogicalName, StringComparison.Ordinal) && !b.LogicalId.StartsWith(definition.LogicalName + "Policy", StringComparison.Ordinal));

    [Fact]
    public void Every_table_has_PITR_with_a_recovery_period_of_at_most_30_days_and_KMS_encryption()
    {
        Tables.Should().HaveCount(ResourceCatalog.Tables.Count);
        foreach (var (id, table) in Tables)
        {
            var pitr = table.GetProperty("PointInTimeRecoverySpecification");
            pitr.GetProperty("PointInTimeRecoveryEnabled").GetBoolean().Should().BeTrue(id);
            pitr.GetProperty("RecoveryPeriodInDays").GetInt32().Should().BeInRange(1, 30, id);
            table.GetProperty("SSESpecification").GetProperty("SSEEnabled").GetBoolean().Should().BeTrue(id);
            table.GetProperty("SSESpecification").GetProperty("SSEType").GetString().Should().Be("KMS", id);
            table.GetProperty("BillingMode").GetString().Should().Be("PAY_PER_REQUEST", id);
        }
    }

    [Fact]
    public void Every_bucket_blocks_public_access_and_uses_SSE_KMS_with_bucket_keys()
    {
        Buckets.Should().HaveCount(ResourceCatalog.Buckets.Count);
        foreach (var (id, bucket) in Buckets)
        {
            var block = bucket.GetProperty("PublicAccessBlockConfiguration");
            foreach (var flag in new[] { "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets" })
            {
                block.GetProperty(flag).GetBoolean().Should().BeTrue($"{id}.{flag}");
            }

            var rule = bucket.GetProperty("BucketEncryption").GetProperty("ServerSideEncryptionConfiguration")[0];
            rule.GetProperty("ServerSideEncryptionByDefault").GetProperty("SSEAlgorithm").GetString().Should().Be("aws:kms", id);
            rule.GetProperty("BucketKeyEnabled").GetBoolean().Should().BeTrue(id);
        }
    }

    [Fact]
    public void Every_bucket_policy_denies_requests_without_TLS()
    {
        var policies = SynthesizedApp.Resources(synth.StatefulJson, "AWS::S3::BucketPolicy").ToList();

        policies.Should().HaveCount(ResourceCatalog.Buckets.Count);
        foreach (var (id, policy) in policies)
        {
            policy.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray().Should().Contain(s =>
                s.GetProperty("Effect").GetString() == "Deny" &&
                s.GetProperty("Condition").GetProperty("Bool").GetProperty("aws:SecureTransport").GetString() == "false", id);
        }
    }

    [Fact]
    public void The_data_bucket_is_versioned_moves_tagged_objects_to_Glacier_and_Deep_Archive_and_expires_old_versions()
    {
        var (_, data) = Bucket(ResourceCatalog.Data);

        data.GetProperty("VersioningConfiguration").GetProperty("Status").GetString().Should().Be("Enabled");
        var rules = data.GetProperty("LifecycleConfiguration").GetProperty("Rules").EnumerateArray().ToList();
        rules.Select(NoncurrentDays).Should().Contain(d => d != null && d <= 30);
        (string Tag, string StorageClass) Transition(JsonElement rule) => (
            rule.GetProperty("TagFilters")[0].GetProperty("Value").GetString()!,
            rule.GetProperty("Transitions")[0].GetProperty("StorageClass").GetString()!);
        rules.Where(r => r.TryGetProperty("TagFilters", out _)).Select(Transition)
            .Should().BeEquivalentTo([("archive", "GLACIER"), ("deep-archive", "DEEP_ARCHIVE")]);
        rules.Where(r => r.TryGetProperty("TagFilters", out _))
            .Should().OnlyContain(r => r.GetProperty("TagFilters")[0].GetProperty("Key").GetString() == ResourceCatalog.TagTier);
    }

    private static int? NoncurrentDays(JsonElement rule) =>
        rule.TryGetProperty("NoncurrentVersionExpiration", out var n) ? n.GetProperty("NoncurrentDays").GetInt32() : null;

    [Fact]
    public void Exports_expire_after_seven_days()
    {
        var (_, exports) = Bucket(ResourceCatalog.Exports);

        exports.GetProperty("LifecycleConfiguration").GetProperty("Rules").EnumerateArray()
            .Select(r => r.TryGetProperty("ExpirationInDays", out var d) ? d.GetInt32() : (int?)null)
            .Should().Contain(7);
    }

    [Theory]
    [InlineData("Certificates")]
    [InlineData("AuditArchive")]
    public void Evidence_buckets_have_Object_Lock_in_compliance_mode(string logicalName)
    {
        var (_, bucket) = Bucket(ResourceCatalog.Buckets.Single(b => b.LogicalName == logicalName));

        bucket.GetProperty("ObjectLockEnabled").GetBoolean().Should().BeTrue();
        var retention = bucket.GetProperty("ObjectLockConfiguration").GetProperty("Rule").GetProperty("DefaultRetention");
        retention.GetProperty("Mode").GetString().Should().Be("COMPLIANCE");
        bucket.GetProperty("VersioningConfiguration").GetProperty("Status").GetString().Should().Be("Enabled");
    }

    [Fact]
    public void The_platform_key_rotates_and_the_signing_key_is_an_ECC_P256_signing_key()
    {
        synth.Stateful.HasResourceProperties("AWS::KMS::Key", new Dictionary<string, object> { ["EnableKeyRotation"] = true, ["KeySpec"] = Match.Absent() });
        synth.Stateful.HasResourceProperties("AWS::KMS::Key", new Dictionary<string, object> { ["KeySpec"] = "ECC_NIST_P256", ["KeyUsage"] = "SIGN_VERIFY" });
        synth.Stateful.ResourceCountIs("AWS::KMS::Alias", ResourceCatalog.KmsKeys.Count);
    }

    [Fact]
    public void The_ingest_queue_redrives_to_its_dead_letter_queue_and_both_are_encrypted()
    {
        synth.Stateful.HasResourceProperties("AWS::SQS::Queue", new Dictionary<string, object>
        {
            ["RedrivePolicy"] = Match.ObjectLike(new Dictionary<string, object> { ["maxReceiveCount"] = ResourceCatalog.IngestQueue.MaxReceiveCount }),
            ["VisibilityTimeout"] = ResourceCatalog.IngestQueue.VisibilityTimeoutSeconds,
        });
        SynthesizedApp.Resources(synth.StatefulJson, "AWS::SQS::Queue").Select(q => q.Properties.TryGetProperty("KmsMasterKeyId", out var key) && key.ValueKind != JsonValueKind.Null)
            .Should().Equal(true, true);
    }

    [Fact]
    public void Every_object_created_in_the_ingest_bucket_is_an_event_on_the_ingest_queue_which_S3_of_this_account_may_send_to()
    {
        var (_, ingest) = Bucket(ResourceCatalog.Ingest);
        var queues = ingest.GetProperty("NotificationConfiguration").GetProperty("QueueConfigurations");
        var policy = SynthesizedApp.Resources(synth.StatefulJson, "AWS::SQS::QueuePolicy")
            .Select(p => p.Properties.GetRawText()).Where(p => p.Contains("s3.amazonaws.com", StringComparison.Ordinal)).Should().ContainSingle().Subject;

        queues.GetArrayLength().Should().Be(1);
        queues[0].GetProperty("Event").GetString().Should().Be("s3:ObjectCreated:*");
        queues[0].GetProperty("Queue").GetRawText().Should().Contain(ResourceCatalog.IngestQueue.LogicalName);
        policy.Should().Contain("s3.amazonaws.com").And.Contain("sqs:SendMessage").And.Contain("aws:SourceAccount");
    }

    [Fact]
    public void Malware_protection_scans_and_tags_every_new_object_of_the_ingest_bucket_with_a_role_limited_to_that_bucket()
    {
        var plan = SynthesizedApp.Resources(synth.StatefulJson, "AWS::GuardDuty::MalwareProtectionPlan").Should().ContainSingle().Subject.Properties;
        var (ingestId, ingest) = Bucket(ResourceCatalog.Ingest);
        var policies = string.Join("\n", SynthesizedApp.Resources(synth.StatefulJson, "AWS::IAM::Policy").Select(p => p.Properties.GetRawText()).Where(p => p.Contains("PutObjectTagging", StringComparison.Ordinal)));

        plan.GetProperty("Actions").GetProperty("Tagging").GetProperty("Status").GetString().Should().Be("ENABLED");
        plan.GetProperty("ProtectedResource").GetProperty("S3Bucket").GetProperty("BucketName").GetRawText().Should().Contain(ingestId);
        policies.Should().Contain(ingestId).And.NotContain("\"Resource\":\"*\"");
        ingest.GetProperty("NotificationConfiguration").GetProperty("EventBridgeConfiguration").GetProperty("EventBridgeEnabled").GetBoolean()
            .Should().BeTrue("GuardDuty listens through EventBridge; a stack update must not switch it off");
    }

    [Fact]
    public void The_fixed_retention_classes_hold_security_logs_a_year_application_logs_90_days_and_the_audit_archive_7_years()
    {
        var security = SynthesizedApp.Resources(synth.StatefulJson, "AWS::Logs::LogGroup").Should().ContainSingle().Subject;
        security.Properties.GetProperty("RetentionInDays").GetInt32().Should().Be((int)LifecyclePolicy.SecurityLogRetention.TotalDays);
        synth.StatefulJson.GetProperty("Resources").GetProperty(security.LogicalId).GetProperty("DeletionPolicy").GetString().Should().Be("Retain");
        ResourceCatalog.SecurityLog.RetentionDays.Should().Be((int)LifecyclePolicy.SecurityLogRetention.TotalDays, "the catalog's class is the policy's");
        SynthesizedApp.Resources(synth.StatelessJson, "AWS::Logs::LogGroup").Select(g => g.Properties.GetProperty("RetentionInDays").GetInt32())
            .Should().NotBeEmpty().And.OnlyContain(days => days == (int)LifecyclePolicy.ApplicationLogRetention.TotalDays);
        var (_, audit) = Bucket(ResourceCatalog.AuditArchive);
        audit.GetProperty("ObjectLockConfiguration").GetProperty("Rule").GetProperty("DefaultRetention").GetProperty("Days").GetInt32()
            .Should().Be((int)LifecyclePolicy.AuditLogRetention.TotalDays);
    }
}
