using System.Text;
using Lethe.Domain.Ingest;

namespace Lethe.Domain.Tests.Ingest;

/// <summary>What reaches a model in the derive step: no detected PII value and no speaker name, only keyed tokens.</summary>
public sealed class PseudonymizerTests
{
    private static readonly byte[] TenantKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly byte[] OtherTenantKey = [.. Enumerable.Range(100, 32).Select(i => (byte)i)];

    private const string Vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Anna Berg>Write to anna.berg@example.com or call +49 170 1234567.</v>\n\n"
        + "00:00:04.000 --> 00:00:06.000\n<v Coach>Thanks, Anna Berg. Your card 4111 1111 1111 1111 was charged.</v>\n";

    [Fact]
    public void No_detected_PII_value_or_speaker_name_reaches_the_model()
    {
        var transcript = TranscriptNormalizer.Parse(Encoding.UTF8.GetBytes(Vtt));

        var seen = Pseudonymizer.Transcript(TenantKey, transcript);

        var everything = string.Join("\n", seen.Segments.Select(s => $"{s.Speaker}: {s.Text}"));
        everything.Should().NotContain("anna.berg@example.com").And.NotContain("1234567").And.NotContain("4111").And.NotContain("Anna Berg").And.NotContain("Coach");
        everything.Should().Contain("[email:").And.Contain("[payment_card:");
        seen.Segments.Select(s => s.Id).Should().Equal(["s1", "s2"], "citations still name the segments");
        seen.Segments[0].Speaker.Should().Be(Pseudonymizer.Token(TenantKey, "speaker", "Anna Berg"));
        seen.Segments[1].Text.Should().StartWith($"Thanks, {seen.Segments[0].Speaker}.", "a speaker named in the text is the same token");
    }

    [Fact]
    public void A_value_is_the_same_token_within_a_tenant_and_another_in_another_tenant()
    {
        var first = Pseudonymizer.Text(TenantKey, "mail anna.berg@example.com");
        var again = Pseudonymizer.Text(TenantKey, "again: anna.berg@example.com");
        var elsewhere = Pseudonymizer.Text(OtherTenantKey, "mail anna.berg@example.com");

        first["mail ".Length..].Should().Be(again["again: ".Length..]);
        elsewhere.Should().NotBe(first);
        first.Should().MatchRegex(@"^mail \[email:[0-9a-f]{8}\]$");
    }

    [Fact]
    public void A_speaker_named_in_any_case_or_by_a_part_of_the_name_is_replaced_too()
    {
        var transcript = TranscriptNormalizer.Parse(Encoding.UTF8.GetBytes("Anna Berg: hello\nCoach: thanks anna, and see you soon, BERG. Jo said hi."));

        var seen = Pseudonymizer.Transcript(TenantKey, transcript);

        seen.Segments[1].Text.Should().NotContainEquivalentOf("anna").And.NotContainEquivalentOf("berg").And.Contain("[name:");
    }

    [Fact]
    public void A_segment_longer_than_the_detector_reads_is_refused_rather_than_passed_on_half_read()
    {
        var longText = new string('a', Lethe.Domain.Classification.PiiDetector.MaxScannedLength + 1);

        var pseudonymize = () => Pseudonymizer.Text(TenantKey, longText);

        pseudonymize.Should().Throw<TranscriptFormatException>();
    }
}
