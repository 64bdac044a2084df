using System.Net;
using System.Security.Cryptography;
using Lethe.Api.Auth;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Lethe.Tests.Integration.Api;

/// <summary>Key caching of the JWKS mode: bounded staleness, early refresh rate-limited, and no outage when the IdP blips.</summary>
public sealed class JwksConfigurationManagerTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-25T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private sealed class IdentityProvider : HttpMessageHandler
    {
        public int Fetches { get; private set; }

        public bool Down { get; set; }

        public bool Slow { get; set; }

        /// <summary>When set, served instead of a key set (a broken IdP deployment).</summary>
        public string? Body { get; set; }

        public string KeyId { get; set; } = "k1";

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Fetches++;
            if (Down)
            {
                throw new HttpRequestException("connection refused");
            }

            if (Slow)
            {
                // What HttpClient raises when its own timeout ends the request.
                throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout.", new TimeoutException());
            }

            if (Body is not null)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Body) });
            }

            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(RSA.Create(2048).ExportParameters(false)) { KeyId = KeyId });
            var json = $$"""{"keys":[{"kty":"RSA","use":"sig","kid":"{{KeyId}}","n":"{{jwk.N}}","e":"{{jwk.E}}"}]}""";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json) });
        }
    }

    private JwksConfigurationManager Manager(IdentityProvider idp) =>
        new(new HttpClient(idp), new Uri("https://idp.example.com/jwks.json"), "https://idp.example.com/", TimeSpan.FromHours(1), _clock);

    private static string KeyIds(Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration c) => string.Join(",", c.SigningKeys.Select(k => k.KeyId));

    [Fact]
    public async Task Keys_are_fetched_once_and_reused_within_the_refresh_interval()
    {
        var idp = new IdentityProvider();
        using var manager = Manager(idp);

        await manager.GetConfigurationAsync(CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(59));
        var again = await manager.GetConfigurationAsync(CancellationToken.None);

        idp.Fetches.Should().Be(1);
        KeyIds(again).Should().Be("k1");
    }

    [Fact]
    public async Task Keys_are_fetched_again_after_the_interval_so_a_rotation_is_picked_up()
    {
        var idp = new IdentityProvider();
        using var manager = Manager(idp);
        await manager.GetConfigurationAsync(CancellationToken.None);

        idp.KeyId = "k2";
        _clock.Advance(TimeSpan.FromHours(1));
        var rotated = await manager.GetConfigurationAsync(CancellationToken.None);

        KeyIds(rotated).Should().Be("k2");
    }

    [Fact]
    public async Task An_early_refresh_request_is_honoured_at_most_every_five_minutes()
    {
        var idp = new IdentityProvider();
        using var manager = Manager(idp);
        await manager.GetConfigurationAsync(CancellationToken.None);

        manager.RequestRefresh();
        await manager.GetConfigurationAsync(CancellationToken.None);
        var fetchesRightAway = idp.Fetches;
        _clock.Advance(TimeSpan.FromMinutes(5));
        await manager.GetConfigurationAsync(CancellationToken.None);

        fetchesRightAway.Should().Be(1, "a flood of unknown-kid tokens must not hammer the identity provider");
        idp.Fetches.Should().Be(2);
    }

    [Fact]
    public async Task When_the_identity_provider_is_down_the_last_keys_stay_in_use()
    {
        var idp = new IdentityProvider();
        using var manager = Manager(idp);
        await manager.GetConfigurationAsync(CancellationToken.None);

        idp.Down = true;
        _clock.Advance(TimeSpan.FromHours(2));
        var kept = await manager.GetConfigurationAsync(CancellationToken.None);
        await manager.GetConfigurationAsync(CancellationToken.None);

        KeyIds(kept).Should().Be("k1");
        idp.Fetches.Should().Be(2, "a down IdP is asked again after a pause, not on every request");
    }

    [Theory]
    [InlineData("slow")]
    [InlineData("not json at all")]
    [InlineData("""{"keys":[]}""")]
    [InlineData("""{"keys":[{"kty":"RSA","kid":"broken"}]}""")]
    public async Task A_timed_out_or_malformed_key_set_keeps_the_last_keys_in_use(string answer)
    {
        var idp = new IdentityProvider();
        using var manager = Manager(idp);
        await manager.GetConfigurationAsync(CancellationToken.None);

        idp.Slow = answer == "slow";
        idp.Body = answer == "slow" ? null : answer;
        _clock.Advance(TimeSpan.FromHours(2));
        var kept = await manager.GetConfigurationAsync(CancellationToken.None);

        KeyIds(kept).Should().Be("k1");
        idp.Fetches.Should().Be(2);
    }
}
