using System.Text.Json;
using Lethe.Aws.Keys;

namespace Lethe.Aws.Tests.Keys;

/// <summary>The key policy a tenant key is created with: who may use it is fixed there, not by tags or IAM (issue 11, finding 1).</summary>
public sealed class TenantKeyPolicyTests
{
    private static readonly TenantKeyPolicy Policy = new(
        "arn:aws:iam::111122223333:root",
        ["arn:aws:iam::111122223333:role/api", "arn:aws:iam::111122223333:role/shred"],
        [],
        ["arn:aws:s3:::lethe-prod-exports"],
        "eu-west-1")
    {
        ObjectUserRoleArns = ["arn:aws:iam::111122223333:role/archive"],
    };

    private static List<JsonElement> Statements(string tenant) =>
        JsonDocument.Parse(Policy.DocumentFor(tenant)).RootElement.GetProperty("Statement").EnumerateArray().Select(s => s.Clone()).ToList();

    private static List<string> Strings(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(v => v.GetString()!).ToList() : [value.GetString()!];

    [Fact]
    public void Document_for_should_grant_data_keys_only_to_the_named_roles_under_the_tenants_own_encryption_context()
    {
        var dataKeys = Statements("acme").Single(s => Strings(s.GetProperty("Action")).Contains("kms:Decrypt") && s.GetProperty("Sid").GetString() == "TenantDataKeysForLetheFunctions");

        Strings(dataKeys.GetProperty("Principal").GetProperty("AWS")).Should().BeEquivalentTo("arn:aws:iam::111122223333:role/api", "arn:aws:iam::111122223333:role/shred");
        dataKeys.GetProperty("Condition").GetProperty("StringEquals").GetProperty("kms:EncryptionContext:tenant").GetString().Should().Be("acme");
    }

    [Fact]
    public void Document_for_should_never_delegate_a_crypto_operation_to_IAM_through_the_account_root()
    {
        var rootActions = Statements("acme")
            .Where(s => Strings(s.GetProperty("Principal").GetProperty("AWS")).Contains("arn:aws:iam::111122223333:root"))
            .SelectMany(s => Strings(s.GetProperty("Action"))).ToList();

        rootActions.Should().NotBeEmpty();
        rootActions.Should().NotContain(a => a.StartsWith("kms:Decrypt", StringComparison.Ordinal) || a.StartsWith("kms:GenerateDataKey", StringComparison.Ordinal)
            || a.StartsWith("kms:Encrypt", StringComparison.Ordinal) || a.StartsWith("kms:ReEncrypt", StringComparison.Ordinal) || a == "kms:*");
    }

    [Fact]
    public void Document_for_should_let_S3_use_the_key_only_for_this_tenants_objects_in_Lethes_buckets()
    {
        var s3 = Statements("acme").Single(s => s.GetProperty("Sid").GetString() == "TenantObjectsThroughS3");

        s3.GetProperty("Condition").GetProperty("StringEquals").GetProperty("kms:ViaService").GetString().Should().Be("s3.eu-west-1.amazonaws.com");
        Strings(s3.GetProperty("Condition").GetProperty("StringLike").GetProperty("kms:EncryptionContext:aws:s3:arn"))
            .Should().BeEquivalentTo("arn:aws:s3:::lethe-prod-exports", "arn:aws:s3:::lethe-prod-exports/acme/*");
    }

    [Fact]
    public void Document_for_should_let_an_object_user_use_the_key_through_S3_only_never_for_data_keys_of_its_own()
    {
        var statements = Statements("acme");

        Strings(statements.Single(s => s.GetProperty("Sid").GetString() == "TenantObjectsThroughS3").GetProperty("Principal").GetProperty("AWS"))
            .Should().Contain("arn:aws:iam::111122223333:role/archive");
        statements.Where(s => s.GetProperty("Sid").GetString() != "TenantObjectsThroughS3")
            .SelectMany(s => Strings(s.GetProperty("Principal").GetProperty("AWS")))
            .Should().NotContain("arn:aws:iam::111122223333:role/archive", "the archive never unwraps a subject's KEK");
    }

    [Fact]
    public void Document_for_when_no_retiring_role_is_configured_should_let_no_Lethe_role_schedule_deletion()
    {
        var retirers = Statements("acme").Where(s => Strings(s.GetProperty("Action")).Contains("kms:ScheduleKeyDeletion"))
            .SelectMany(s => Strings(s.GetProperty("Principal").GetProperty("AWS")));

        retirers.Should().Equal("arn:aws:iam::111122223333:root");
    }

    [Fact]
    public void Document_for_should_let_the_rotation_and_offboarding_retirers_schedule_deletion_and_look_at_the_key_but_never_use_it()
    {
        var retiring = Policy with { RetiringRoleArns = ["arn:aws:iam::111122223333:role/rotation-retire", "arn:aws:iam::111122223333:role/offboarding-retire-keys"] };
        var statements = JsonDocument.Parse(retiring.DocumentFor("acme")).RootElement.GetProperty("Statement").EnumerateArray().ToList();

        var retire = statements.Single(s => s.GetProperty("Sid").GetString() == "RetireOnlyByOffboardingAndRotation");

        Strings(retire.GetProperty("Principal").GetProperty("AWS")).Should().BeEquivalentTo("arn:aws:iam::111122223333:role/rotation-retire", "arn:aws:iam::111122223333:role/offboarding-retire-keys");
        Strings(retire.GetProperty("Action")).Should().BeEquivalentTo("kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:DescribeKey");
        statements.Where(s => Strings(s.GetProperty("Principal").GetProperty("AWS")).Contains("arn:aws:iam::111122223333:role/offboarding-retire-keys"))
            .SelectMany(s => Strings(s.GetProperty("Action"))).Should().NotContain(a => a.StartsWith("kms:Decrypt", StringComparison.Ordinal) || a.StartsWith("kms:GenerateDataKey", StringComparison.Ordinal),
                "a retirer never unwraps anything");
    }

    [Fact]
    public void From_environment_should_read_the_roles_the_CDK_app_sets()
    {
        var variables = new Dictionary<string, string>
        {
            [TenantKeyPolicy.AdministratorVariable] = "arn:aws:iam::1:root",
            [TenantKeyPolicy.UsersVariable] = "arn:a, arn:b",
            [TenantKeyPolicy.BucketsVariable] = "arn:aws:s3:::x",
            ["AWS_REGION"] = "eu-central-1",
        };

        var policy = TenantKeyPolicy.FromEnvironment(variables.GetValueOrDefault);

        (policy.AdministratorArn, policy.Region).Should().Be(("arn:aws:iam::1:root", "eu-central-1"));
        policy.UserRoleArns.Should().Equal("arn:a", "arn:b");
    }

    [Fact]
    public void From_environment_outside_the_local_stage_should_refuse_to_start_without_the_buckets()
    {
        var variables = new Dictionary<string, string>
        {
            [TenantKeyPolicy.AdministratorVariable] = "arn:aws:iam::1:root",
            [TenantKeyPolicy.UsersVariable] = "arn:a",
        };

        var start = () => TenantKeyPolicy.FromEnvironment(variables.GetValueOrDefault, requireConfigured: true);

        start.Should().Throw<InvalidOperationException>().WithMessage($"*{TenantKeyPolicy.BucketsVariable}*");
    }

    [Fact]
    public void Document_for_should_let_rewrappers_only_reencrypt_under_the_tenants_context()
    {
        var policy = Policy with { RewrapperRoleArns = ["arn:aws:iam::111122223333:role/rewrap"] };
        var statements = JsonDocument.Parse(policy.DocumentFor("acme")).RootElement.GetProperty("Statement").EnumerateArray().ToList();

        var rewrap = statements.Single(s => Strings(s.GetProperty("Principal").GetProperty("AWS")).Contains("arn:aws:iam::111122223333:role/rewrap"));
        Strings(rewrap.GetProperty("Action")).Should().BeEquivalentTo("kms:ReEncryptFrom", "kms:ReEncryptTo");
        rewrap.GetProperty("Condition").GetProperty("StringEquals").GetProperty("kms:EncryptionContext:tenant").GetString().Should().Be("acme");
    }
}
