using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Lethe.Domain.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lethe.Tests.Integration.Api;

/// <summary>The AWS auth mode: tokens of an identity provider, verified with the keys of its JWKS URL.</summary>
public sealed class JwksAuthTests : IAsyncLifetime
{
    private const string Issuer = "https://idp.lethe.test/";
    private readonly RsaSecurityKey _signing = new(RSA.Create(2048)) { KeyId = "idp-key-1" };
    private WebApplication _idp = null!;
    private LetheApiFactory _api = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _idp = builder.Build();
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_signing.Rsa.ExportParameters(false)) { KeyId = _signing.KeyId });
        jwk.Use = "sig";
        jwk.Alg = SecurityAlgorithms.RsaSha256;
        var jwks = System.Text.Json.JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, use = jwk.Use, alg = jwk.Alg, kid = jwk.Kid, n = jwk.N, e = jwk.E } } });
        _idp.MapGet("/.well-known/jwks.json", () => Results.Text(jwks, "application/json"));
        await _idp.StartAsync();
        _api = new LetheApiFactory
        {
            Settings = new Dictionary<string, string>
            {
                ["Lethe:Auth:Mode"] = "Jwks",
                ["Lethe:Auth:Issuer"] = Issuer,
                ["Lethe:Auth:Audience"] = "lethe-api",
                ["Lethe:Auth:JwksUrl"] = _idp.Urls.First() + "/.well-known/jwks.json",
            },
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await _idp.DisposeAsync();
    }

    private static string Sign(SecurityKey key, string algorithm, string tenant, string issuer = Issuer) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = issuer,
        Audience = "lethe-api",
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(key, algorithm),
        Claims = new Dictionary<string, object> { ["sub"] = "svc-1", ["tenant"] = tenant, ["roles"] = new[] { Roles.Service } },
    });

    private async Task<HttpStatusCode> GetTenantAsync(string token, string tenant)
    {
        using var client = _api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync($"/v1/tenants/{tenant}", TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_token_signed_with_a_key_from_the_JWKS_is_accepted()
    {
        var tenant = $"t-{Guid.NewGuid():N}"[..16];

        (await GetTenantAsync(Sign(_signing, SecurityAlgorithms.RsaSha256, tenant), tenant)).Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_token_signed_with_a_key_the_JWKS_does_not_publish_is_refused()
    {
        var stranger = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "idp-key-1" };

        (await GetTenantAsync(Sign(stranger, SecurityAlgorithms.RsaSha256, "t-any"), "t-any")).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_refused_even_with_a_valid_signature()
    {
        (await GetTenantAsync(Sign(_signing, SecurityAlgorithms.RsaSha256, "t-any", issuer: "https://evil.example/"), "t-any")).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_local_dev_key_is_not_accepted_in_JWKS_mode()
    {
        using var local = new LetheApiFactory();

        (await GetTenantAsync(local.Token("t-any", Roles.TenantAdmin), "t-any")).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_console_offers_no_dev_sign_in_and_mints_no_token_with_an_identity_provider()
    {
        using var client = _api.CreateClient();

        var config = await client.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/console/config", UriKind.Relative), TestContext.Current.CancellationToken);
        using var minted = await client.PostAsJsonAsync(new Uri("/console/dev-token", UriKind.Relative), new { tenant = "t-any", role = Roles.PlatformAdmin }, TestContext.Current.CancellationToken);

        config.GetProperty("devSignIn").GetBoolean().Should().BeFalse();
        minted.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}

public sealed class OptionsValidationOnStartTests
{
    [Fact]
    public async Task The_API_refuses_to_start_with_the_dev_key_outside_the_local_stage()
    {
        await using var app = Lethe.Api.ApiHost.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration["Lethe:Stage"] = "aws";
            builder.Configuration["Lethe:Auth:Mode"] = "Local";
            builder.Configuration["Lethe:Auth:Issuer"] = "lethe-local";
            builder.Configuration["Lethe:Auth:Audience"] = "lethe-api";
            builder.Configuration["Lethe:Auth:DevKeyFile"] = "/nonexistent/dev-jwt.key";
        });

        var start = () => app.StartAsync(TestContext.Current.CancellationToken);

        (await start.Should().ThrowAsync<OptionsValidationException>()).WithMessage("*refused outside the local stage*");
    }
}
