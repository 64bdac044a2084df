using System.Text;
using Lethe.Domain.Ingest;

namespace Lethe.Domain.Tests.Ingest;

/// <summary>Normalize (DESIGN.md, step 2): every declared type into segments, bounded, and back from the stored fields.</summary>
public sealed class ContentNormalizerTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Plain_text_in_speaker_lines_is_a_transcript_with_its_speakers()
    {
        var transcript = ContentNormalizer.Normalize("text/plain", Utf8("Coach: Hello.\nAnna: Hi there."));

        transcript.Format.Should().Be(TranscriptNormalizer.SpeakerLinesFormat);
        transcript.Segments.Select(s => (s.Speaker, s.Text)).Should().Equal(("Coach", "Hello."), ("Anna", "Hi there."));
    }

    [Fact]
    public void Plain_text_without_speakers_becomes_one_segment_per_paragraph()
    {
        var transcript = ContentNormalizer.Normalize("text/plain", Utf8("First thought,\nstill the first.\n\nA second one."));

        transcript.Format.Should().Be(ContentNormalizer.ParagraphsFormat);
        transcript.Segments.Select(s => (s.Id, s.Speaker, s.Text)).Should().Equal(("s1", "", "First thought, still the first."), ("s2", "", "A second one."));
    }

    [Fact]
    public void Json_becomes_one_segment_per_string_value_in_document_order()
    {
        var transcript = ContentNormalizer.Normalize("application/json", Utf8("{\"title\":\"Week 3\",\"notes\":[{\"body\":\"Slept well\"},{\"n\":4}],\"empty\":\" \"}"));

        transcript.Segments.Select(s => s.Text).Should().Equal("Week 3", "Slept well");
    }

    [Fact]
    public void Csv_becomes_one_segment_per_row_naming_its_columns_and_keeps_quoted_commas_and_line_breaks()
    {
        var transcript = ContentNormalizer.Normalize("text/csv", Utf8("date,note\n2026-01-02,\"Tired, but ok\"\n2026-01-03,\"Two\nlines\"\n"));

        transcript.Segments.Select(s => s.Text).Should().Equal("date: 2026-01-02; note: Tired, but ok", "date: 2026-01-03; note: Two\nlines");
    }

    [Theory]
    [InlineData("text/csv", "date,note\n2026-01-02\n", "Row 2")]
    [InlineData("text/csv", "date,note\n1,\"open", "quoted")]
    [InlineData("application/json", "{\"a\":", "not valid JSON")]
    [InlineData("application/json", "{\"a\":1}", "no text value")]
    [InlineData("application/zip", "PK", "not normalized")]
    [InlineData("text/plain", "   \n\n ", "empty")]
    [InlineData("text/vtt", "WEBVTT\n\n2026-01-02 anna@example.com\nhello", "line 3 has no valid timing line")]
    [InlineData("text/vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\n<v Anna>2026-01-02</v>", "line 3 ends before it starts")]
    public void Content_that_cannot_be_read_fails_with_a_reason_that_quotes_no_content(string contentType, string content, string reason)
    {
        var failing = () => ContentNormalizer.Normalize(contentType, Utf8(content));

        failing.Should().Throw<TranscriptFormatException>().Which.Message.Should().Contain(reason).And.NotContain("2026-01-02");
    }

    [Fact]
    public void Content_larger_than_one_upload_holds_fails_and_names_the_limit()
    {
        var lines = string.Join("\n", Enumerable.Range(0, 3000).Select(i => $"Coach: {new string('a', 100)} {i}"));

        var failing = () => ContentNormalizer.Normalize("text/plain", Utf8(lines));

        failing.Should().Throw<TranscriptFormatException>().Which.Message.Should().Contain("at most 256 K");
    }

    [Fact]
    public void A_transcript_stored_as_fields_reads_back_the_same_across_several_fields()
    {
        var lines = string.Join("\n", Enumerable.Range(0, 1200).Select(i => $"Speaker {i % 3}: line {i} {new string('x', 80)}"));
        var transcript = ContentNormalizer.Normalize("text/plain", Utf8(lines));

        var fields = ContentNormalizer.ToFields(transcript);
        var back = ContentNormalizer.FromFields(transcript.Format, fields);

        fields.Count.Should().BeGreaterThan(1);
        fields.Values.Should().OnlyContain(v => v.Length <= ContentNormalizer.FieldCharacters);
        back.Segments.Should().BeEquivalentTo(transcript.Segments, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Cue_times_of_a_WebVTT_file_survive_the_stored_form()
    {
        var transcript = ContentNormalizer.Normalize("text/vtt", Utf8("WEBVTT\n\n00:00:01.500 --> 00:00:03.000\n<v Coach>Hello</v>\n"));

        var back = ContentNormalizer.FromFields(transcript.Format, ContentNormalizer.ToFields(transcript));

        (back.Segments[0].Start, back.Segments[0].End, back.Segments[0].Speaker).Should().Be((TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(3), "Coach"));
    }
}
