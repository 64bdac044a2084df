using System.Net;
using Lethe.Domain.Connectors;
using Lethe.Domain.Crypto;

namespace Lethe.Domain.Tests.Connectors;

/// <summary>The connector rules of API.md: names, the SSRF rules for URLs and addresses, secrets, the signature and sealing.</summary>
public sealed class ConnectorRulesTests
{
    [Theory]
    [InlineData("https://crm.example.com/hooks/lethe")]
    [InlineData("https://crm.example.com:8443/hooks")]
    [InlineData("https://crm.example.com:443/hooks")]
    [InlineData("https://93.184.216.34/hook")]
    [InlineData("https://[2606:4700::1111]/hook")]
    public void A_public_https_url_is_allowed_in_AWS(string url) => ConnectorRules.UrlProblem(url, allowLoopback: false).Should().BeNull();

    [Theory]
    [InlineData("http://crm.example.com/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("https://172.20.0.1/hook")]
    [InlineData("https://192.168.1.1/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://100.64.0.1/hook")]
    [InlineData("https://0.0.0.0/hook")]
    [InlineData("https://[fd12::1]/hook")]
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("https://[::ffff:10.0.0.1]/hook")]
    [InlineData("https://intranet/hook")]
    [InlineData("https://db.internal/hook")]
    [InlineData("https://printer.local/hook")]
    [InlineData("https://user:pw@crm.example.com/hook")]
    [InlineData("https://crm.example.com/hook#frag")]
    [InlineData("file:///etc/passwd")]
    [InlineData("crm.example.com/hook")]
    [InlineData("https://crm.example.com:22/hook")]
    [InlineData("https://crm.example.com:6379/hook")]
    [InlineData("")]
    public void A_url_that_is_not_https_to_a_public_host_is_refused_in_AWS(string url) => ConnectorRules.UrlProblem(url, allowLoopback: false).Should().NotBeNull();

    [Theory]
    [InlineData("http://localhost:8080/hook", true)]
    [InlineData("http://127.0.0.1:5000/hook", true)]
    [InlineData("http://10.0.0.1/hook", false)]
    [InlineData("http://crm.example.com/hook", false)]
    public void On_the_local_stage_http_to_loopback_is_allowed_and_nothing_else_is_loosened(string url, bool allowed) =>
        (ConnectorRules.UrlProblem(url, allowLoopback: true) is null).Should().Be(allowed);

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("2001:4860:4860::8888", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("192.0.2.10", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("::ffff:192.168.0.1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("2002:a00:1::", false)]
    [InlineData("fc00::1", false)]
    public void A_call_connects_only_to_a_public_address(string address, bool allowed) =>
        ConnectorRules.MayConnect(IPAddress.Parse(address), allowLoopback: false).Should().Be(allowed);

    [Fact]
    public void A_call_on_the_local_stage_may_connect_to_loopback_but_still_not_to_a_private_address()
    {
        ConnectorRules.MayConnect(IPAddress.Loopback, allowLoopback: true).Should().BeTrue();
        ConnectorRules.MayConnect(IPAddress.IPv6Loopback, allowLoopback: true).Should().BeTrue();
        ConnectorRules.MayConnect(IPAddress.Parse("10.0.0.1"), allowLoopback: true).Should().BeFalse();
    }

    [Theory]
    [InlineData("crm", true)]
    [InlineData("billing-eu-2", true)]
    [InlineData("c", false)]
    [InlineData("CRM", false)]
    [InlineData("2crm", false)]
    [InlineData("crm_eu", false)]
    [InlineData("crm/../x", false)]
    public void Connector_names_are_short_lower_case_slugs(string name, bool valid) => ConnectorRules.IsValidName(name).Should().Be(valid);

    [Theory]
    [InlineData("whsec-0123456789abcdef", true)]
    [InlineData("short", false)]
    [InlineData("has a space in it 0123", false)]
    [InlineData("unicode-ſecret-0123456789", false)]
    public void A_secret_is_16_to_256_printable_ascii_characters(string secret, bool valid) => (ConnectorRules.SecretProblem(secret) is null).Should().Be(valid);

    [Theory]
    [InlineData(1, 604_800)]
    [InlineData(86_400, 7)]
    [InlineData(10_000_000, 1)]
    public void The_answer_window_is_P7D_scaled_by_the_tenant_and_at_least_a_second(int scale, int seconds) =>
        ConnectorRules.AnswerTimeoutSeconds(scale).Should().Be(seconds);

    [Fact]
    public void The_signature_is_sha256_and_the_hex_HMAC_of_timestamp_dot_body_under_the_secret()
    {
        // Known answer computed outside .NET: python3 -c "import hmac,hashlib; print(hmac.new(b'whsec-0123456789abcdef',
        // b'1767225600.{\"requestId\":\"job_1\"}', hashlib.sha256).hexdigest())"
        ConnectorSignature.Sign("whsec-0123456789abcdef", "1767225600", """{"requestId":"job_1"}""")
            .Should().Be("sha256=1900a1de4dceab2244ec1671535f94beda8e57a0e64041c742982d8af789d964");
        ConnectorSignature.Verify("whsec-0123456789abcdef", "1767225600", """{"requestId":"job_2"}""", "sha256=1900a1de4dceab2244ec1671535f94beda8e57a0e64041c742982d8af789d964")
            .Should().BeFalse("a changed body no longer matches");
    }

    [Fact]
    public void A_sealed_secret_opens_only_for_its_own_tenant_and_connector()
    {
        using var refKey = new SubjectKek("ref-key-1", Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

        var sealedSecret = ConnectorSecrets.Seal(refKey, "t1", "crm", "whsec-0123456789abcdef");

        System.Text.Encoding.UTF8.GetString(sealedSecret).Should().NotContain("whsec");
        ConnectorSecrets.Open(refKey, "t1", "crm", sealedSecret).Should().Be("whsec-0123456789abcdef");
        var elsewhere = () => ConnectorSecrets.Open(refKey, "t1", "billing", sealedSecret);
        elsewhere.Should().Throw<EnvelopeException>();
    }
}
