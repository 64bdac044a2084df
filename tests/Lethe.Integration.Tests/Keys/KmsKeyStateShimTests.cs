using Amazon.KeyManagementService.Model;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Keys;

/// <summary>The gateway enforces KMS key state as AWS documents it (moto only stores it).</summary>
public sealed class KmsKeyStateShimTests(LocalCloudFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Keys are addressed by id: moto 5.2.1 cannot find a key by ARN in DisableKey, EnableKey or ScheduleKeyDeletion (AWS can).
    private static EncryptRequest Encrypt(string keyId) => new() { KeyId = keyId, Plaintext = new MemoryStream("x"u8.ToArray()) };

    [Fact]
    public async Task A_disabled_key_refuses_cryptographic_operations_with_DisabledException_until_enabled_again()
    {
        using var kms = fixture.Cloud.CreateKmsClient();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "shim probe" }, Ct)).KeyMetadata.KeyId;

        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key }, Ct);
        var whileDisabled = () => kms.EncryptAsync(Encrypt(key), Ct);
        var dataKeyWhileDisabled = () => kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key, KeySpec = Amazon.KeyManagementService.DataKeySpec.AES_256 }, Ct);

        (await whileDisabled.Should().ThrowAsync<DisabledException>()).Which.Message.Should().Contain("is disabled");
        await dataKeyWhileDisabled.Should().ThrowAsync<DisabledException>();
        await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key }, Ct);
        (await kms.EncryptAsync(Encrypt(key), Ct)).CiphertextBlob.Length.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_key_pending_deletion_refuses_with_KMSInvalidStateException()
    {
        using var kms = fixture.Cloud.CreateKmsClient();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "shim probe" }, Ct)).KeyMetadata.KeyId;
        await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key, PendingWindowInDays = 7 }, Ct);

        var encrypt = () => kms.EncryptAsync(Encrypt(key), Ct);

        (await encrypt.Should().ThrowAsync<KMSInvalidStateException>()).Which.Message.Should().Contain("pending deletion");
    }

    [Fact]
    public async Task Management_calls_on_a_disabled_key_still_work()
    {
        using var kms = fixture.Cloud.CreateKmsClient();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "shim probe" }, Ct)).KeyMetadata.KeyId;
        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key }, Ct);

        var described = await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key }, Ct);

        described.KeyMetadata.KeyState.Value.Should().Be("Disabled");
    }
}
