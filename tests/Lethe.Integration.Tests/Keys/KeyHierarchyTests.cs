using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService.Model;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Keys;
using Lethe.Domain.Crypto;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Keys;

/// <summary>Tenant key → subject KEK → per-value DEK, against the local cloud's KMS and DynamoDB.</summary>
public sealed class KeyHierarchyTests(LocalCloudFixture fixture)
{
    private static string NewTenant() => $"kh-{Guid.NewGuid():N}"[..20];

    private static string NewSubjectRef() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private KmsKeyHierarchy Hierarchy() => new(
        fixture.Cloud.CreateKmsClient(), fixture.Cloud.CreateDynamoDbClient(), ResourceNames.FromEnvironment().Table(ResourceCatalog.Keys),
        new KekCache(TimeProvider.System, TimeSpan.FromMinutes(15), 10_000), TimeProvider.System);

    private Task<string> TenantKeyAsync(string tenant) =>
        new KmsTenantKeys(fixture.Cloud.CreateKmsClient(), "lethe-it").GetOrCreateAsync(tenant, TestContext.Current.CancellationToken);

    [Fact]
    public async Task A_tenant_key_is_created_with_its_key_policy_and_without_tags()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kms = fixture.Cloud.CreateKmsClient();
        var roles = new TenantKeyPolicy("arn:aws:iam::123456789012:root", ["arn:aws:iam::123456789012:role/lethe-api"], [], [], "us-east-1");
        var tenant = NewTenant();

        var arn = await new KmsTenantKeys(kms, "lethe-it", roles).GetOrCreateAsync(tenant, ct);

        var policy = (await kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = arn, PolicyName = "default" }, ct)).Policy;
        policy.Should().Contain("arn:aws:iam::123456789012:role/lethe-api").And.Contain($"\"kms:EncryptionContext:tenant\":\"{tenant}\"");
        (await kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = arn }, ct)).Tags.Should().BeNullOrEmpty("a tag never decides who may use a key");
        (await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = arn }, ct)).KeyRotationEnabled.Should().BeTrue();
    }

    [Fact]
    public async Task A_thousand_writes_for_one_subject_cost_at_most_one_KMS_call_once_warm()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = NewTenant();
        var tenantKey = await TenantKeyAsync(tenant);
        var subject = NewSubjectRef();
        await Hierarchy().GetOrCreateSubjectKekAsync(tenant, tenantKey, subject, ct);
        var writer = Hierarchy();
        var before = fixture.Cloud.KmsCalls.CountForTenant(tenant);

        for (var i = 0; i < 1000; i++)
        {
            var kek = await writer.GetOrCreateSubjectKekAsync(tenant, tenantKey, subject, ct);
            FieldEnvelope.Seal(Encoding.UTF8.GetBytes($"note {i}"), kek, new EnvelopeContext(tenant, subject, $"rec-{i}", "body"));
        }

        (fixture.Cloud.KmsCalls.CountForTenant(tenant) - before).Should().BeLessThanOrEqualTo(1, "one Decrypt to warm the cache, then none");
        fixture.Cloud.KmsCalls.Count("Decrypt", tenant).Should().Be(1);
        fixture.Cloud.KmsCalls.Count("GenerateDataKey", tenant).Should().Be(1);
    }

    [Fact]
    public async Task The_KEK_is_stored_only_wrapped_and_bound_to_tenant_and_subject()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = NewTenant();
        var tenantKey = await TenantKeyAsync(tenant);
        var subject = NewSubjectRef();
        var kek = await Hierarchy().GetOrCreateSubjectKekAsync(tenant, tenantKey, subject, ct);
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        using var kms = fixture.Cloud.CreateKmsClient();

        var item = (await dynamo.GetItemAsync(ResourceNames.FromEnvironment().Table(ResourceCatalog.Keys), new()
        {
            ["pk"] = new() { S = $"TENANT#{tenant}" },
            ["sk"] = new() { S = $"KEK#{subject}" },
        }, ct)).Item;
        var wrapped = item["wrappedKek"].B.ToArray();
        var rawKey = kek.Key;

        Contains(wrapped, rawKey).Should().BeFalse("the table never holds the plaintext KEK");
        var otherSubject = () => kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(wrapped),
            EncryptionContext = KmsKeyHierarchy.EncryptionContext(tenant, NewSubjectRef()),
        }, ct);
        await otherSubject.Should().ThrowAsync<InvalidCiphertextException>("the encryption context binds the KEK to its subject");
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    [Fact]
    public async Task After_a_shred_the_subjects_envelopes_can_be_opened_by_no_one()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = NewTenant();
        var tenantKey = await TenantKeyAsync(tenant);
        var subject = NewSubjectRef();
        var hierarchy = Hierarchy();
        var here = new EnvelopeContext(tenant, subject, "rec-1", "body");
        var kek = await hierarchy.GetOrCreateSubjectKekAsync(tenant, tenantKey, subject, ct);
        var envelope = FieldEnvelope.Seal("my journal"u8.ToArray(), kek, here);

        await hierarchy.ShredSubjectAsync(tenant, subject, ct);

        (await hierarchy.FindSubjectKekAsync(tenant, tenantKey, subject, ct)).Should().BeNull();
        (await Hierarchy().FindSubjectKekAsync(tenant, tenantKey, subject, ct)).Should().BeNull("a cold instance finds nothing either");
        var fresh = await hierarchy.GetOrCreateSubjectKekAsync(tenant, tenantKey, subject, ct);
        var open = () => FieldEnvelope.Open(envelope, fresh, here);
        open.Should().Throw<EnvelopeException>().Which.Reason.Should().Be("key-shredded");
    }

    [Fact]
    public async Task Two_instances_creating_one_subjects_KEK_at_once_agree_on_one_key()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = NewTenant();
        var tenantKey = await TenantKeyAsync(tenant);
        var subject = NewSubjectRef();

        var keys = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Hierarchy().GetOrCreateSubjectKekAsync(tenant, tenantKey, subject, ct)));

        keys.Select(k => k.KeyId).Distinct().Should().ContainSingle();
    }

    [Fact]
    public async Task A_tenant_gets_one_rotating_key_behind_its_alias_however_often_it_is_asked()
    {
        var tenant = NewTenant();
        using var kms = fixture.Cloud.CreateKmsClient();

        var keys = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TenantKeyAsync(tenant)));

        keys.Distinct().Should().ContainSingle();
        var rotation = await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keys[0] }, TestContext.Current.CancellationToken);
        rotation.KeyRotationEnabled.Should().BeTrue();
    }
}
