using Lethe.Api.Configuration;

namespace Lethe.Tests.Integration.Api;

public sealed class LetheApiOptionsValidatorTests
{
    private static LetheApiOptions Aws() => new()
    {
        Stage = "aws",
        Auth = new AuthOptions { Mode = AuthMode.Jwks, Issuer = "https://idp.example.com/", Audience = "lethe-api", JwksUrl = "https://idp.example.com/.well-known/jwks.json" },
    };

    private static IEnumerable<string> Failures(LetheApiOptions options) =>
        new LetheApiOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void A_complete_AWS_configuration_is_accepted() => Failures(Aws()).Should().BeEmpty();

    [Fact]
    public void The_dev_signing_key_is_refused_in_AWS() =>
        Failures(new LetheApiOptions { Stage = "aws", Auth = new AuthOptions { Mode = AuthMode.Local, Issuer = "i", Audience = "a" } })
            .Should().Contain(f => f.Contains("refused outside the local stage"));

    [Fact]
    public void A_time_scale_and_auto_provisioning_are_refused_in_AWS()
    {
        var options = Aws();
        options.DefaultTimeScale = 60;
        options.AutoProvisionTenants = true;

        Failures(options).Should().HaveCount(2);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(61)]
    public void A_tenant_cache_longer_than_a_minute_or_negative_is_refused(int seconds)
    {
        var options = Aws();
        options.TenantCacheSeconds = seconds;

        Failures(options).Should().ContainSingle(f => f.Contains("TenantCacheSeconds"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not a url")]
    [InlineData("http://idp.example.com/jwks.json")]
    public void Jwks_mode_needs_an_https_jwks_url(string? url)
    {
        var options = Aws();
        options.Auth.JwksUrl = url;

        Failures(options).Should().ContainSingle().Which.Should().Contain("JwksUrl");
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var failures = Failures(new LetheApiOptions { Stage = "prod", DefaultTimeScale = 0, Auth = new AuthOptions { Mode = AuthMode.Jwks } }).ToList();

        failures.Should().HaveCountGreaterThanOrEqualTo(5);
    }
}
