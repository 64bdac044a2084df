using System.Text;
using System.Text.Json;
using Lethe.Domain.Audit;
using Lethe.Domain.Canonical;
using Lethe.Domain.Certificates;

namespace Lethe.Domain.Tests.Certificates;

public sealed class DeletionCertificateTests
{
    private static readonly DateTimeOffset Requested = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    private static DeletionFacts Facts(IReadOnlyDictionary<string, long> byCategory, DateTimeOffset? completed = null) => new(
        "acme-coaching", new string('a', 64), "job_0123456789abcdef0123456789ab", Requested, completed ?? Requested.AddDays(29.5), Requested.AddDays(30), Requested.AddDays(29),
        new ErasureTally(byCategory.Values.Sum(), byCategory, new Dictionary<string, long> { ["dynamodb"] = 10, ["s3"] = 2 }, 7, 1, 0),
        "kek-deleted", "kek-0f1e2d3c4b5a69788796a5b4c3d2e1f0", new ChainHead(123_456, new string('f', 64)),
        "arn:aws:kms:eu-west-1:123456789012:key/0b5c8f7e-9d4c-4b1a-8e2f-3c6d7a8b9c0d");

    [Fact]
    public void The_payload_stays_under_the_4096_bytes_KMS_signs_raw_whatever_the_tenants_categories()
    {
        var categories = Enumerable.Range(0, 500).ToDictionary(i => $"c{i:D3}" + new string('x', 36), i => (long)i + 1);

        var payload = DeletionCertificate.Payload(Facts(categories));

        payload.Length.Should().BeLessThan(DeletionCertificate.MaxPayloadBytes);
        using var document = JsonDocument.Parse(payload);
        var named = document.RootElement.GetProperty("counts").GetProperty("byCategory");
        named.EnumerateObject().Count().Should().Be(DeletionCertificate.MaxCategories + 1);
        named.EnumerateObject().Sum(c => c.Value.GetInt64()).Should().Be(categories.Values.Sum(), "the categories not named are summed under other");
    }

    [Fact]
    public void The_payload_stays_under_4096_bytes_with_every_category_and_the_most_connectors_a_tenant_may_have()
    {
        var categories = Enumerable.Range(0, 500).ToDictionary(i => $"c{i:D3}" + new string('x', 36), i => long.MaxValue / 1000);
        var connectors = Enumerable.Range(0, Lethe.Domain.Connectors.ConnectorRules.MaxPerTenant)
            .Select(i => new ConnectorConfirmation($"c{i}" + new string('y', 38), "done", 999_999_999_999, Requested.AddDays(29)))
            .ToList();

        var payload = DeletionCertificate.Payload(Facts(categories) with { Connectors = connectors });

        payload.Length.Should().BeLessThan(DeletionCertificate.MaxPayloadBytes);
        using var document = JsonDocument.Parse(payload);
        document.RootElement.GetProperty("connectors").GetArrayLength().Should().Be(Lethe.Domain.Connectors.ConnectorRules.MaxPerTenant);
    }

    [Fact]
    public void The_payload_is_canonical_JSON_of_strings_and_integers_only()
    {
        var payload = DeletionCertificate.Payload(Facts(new Dictionary<string, long> { ["transcript"] = 8, ["note"] = 2 }));

        using var document = JsonDocument.Parse(payload);
        Encoding.UTF8.GetString(payload).Should().Be(CanonicalJson.Serialize(document.RootElement));
        Leaves(document.RootElement).Should().OnlyContain(kind => kind == JsonValueKind.String || kind == JsonValueKind.Number);
        Leaves(document.RootElement).Should().NotContain(JsonValueKind.True).And.NotContain(JsonValueKind.False);
    }

    [Theory]
    [InlineData(29.5, "yes")]
    [InlineData(30.5, "no")]
    public void The_certificate_says_honestly_whether_the_30_day_deadline_was_met(double completedAfterDays, string met)
    {
        var payload = DeletionCertificate.Payload(Facts(new Dictionary<string, long> { ["note"] = 1 }, Requested.AddDays(completedAfterDays)));

        using var document = JsonDocument.Parse(payload);
        document.RootElement.GetProperty("deadlineMet").GetString().Should().Be(met);
        document.RootElement.GetProperty("certificateId").GetString().Should().Be("cert_job_0123456789abcdef0123456789ab");
    }

    private static IEnumerable<JsonValueKind> Leaves(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Leaves(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Leaves),
        _ => [element.ValueKind],
    };
}
