using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.KeyManagementService.Model;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>A tenant that revokes its own key locks its data (423, no plaintext) and gets it back by re-enabling the key.</summary>
public sealed class ByokRevocationTests(LocalCloudFixture cloud)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_disabled_BYOK_key_answers_423_with_no_plaintext_and_recovers_when_re_enabled()
    {
        var tenant = $"by-{Guid.NewGuid():N}"[..20];
        using var kms = cloud.Cloud.CreateKmsClient();
        var created0 = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "customer key" }, Ct)).KeyMetadata;
        var own = created0.Arn;
        using var api = new LetheApiFactory();
        using (var platform = api.PlatformAdmin())
        {
            (await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Byok Inc", keyArn = own }, Ct)).StatusCode.Should().Be(HttpStatusCode.Created);
        }

        using var service = api.ClientWithToken(tenant, Roles.Service);
        var created = await service.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/records", new { category = "journal", fields = new { text = "private words" } }, Ct);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetString();

        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = created0.KeyId }, Ct); // by id: moto cannot disable by ARN
        using var cold = new LetheApiFactory();
        using var coldService = cold.ClientWithToken(tenant, Roles.Service);
        using var read = await coldService.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records/{id}", Ct);
        using var write = await coldService.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/anna/records", new { category = "journal", fields = new { text = "more" } }, Ct);

        foreach (var response in new[] { read, write })
        {
            response.StatusCode.Should().Be((HttpStatusCode)423);
            var body = await response.Content.ReadAsStringAsync(Ct);
            body.Should().Contain("tenant-key-unavailable").And.NotContain("private words");
        }

        await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = created0.KeyId }, Ct);
        var recovered = await coldService.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records/{id}", Ct);
        recovered.StatusCode.Should().Be(HttpStatusCode.OK);
        (await recovered.Content.ReadAsStringAsync(Ct)).Should().Contain("private words");
    }
}
