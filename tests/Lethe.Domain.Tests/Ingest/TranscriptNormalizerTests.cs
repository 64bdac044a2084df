using System.Text;
using Lethe.Domain.Ingest;

namespace Lethe.Domain.Tests.Ingest;

/// <summary>The normalize step's transcripts: WebVTT and <c>Speaker: text</c> lines into speaker segments, within limits.</summary>
public sealed class TranscriptNormalizerTests
{
    private static Transcript Parse(string text, TranscriptLimits? limits = null) => TranscriptNormalizer.Parse(Encoding.UTF8.GetBytes(text), limits);

    [Fact]
    public void Speaker_lines_become_one_segment_per_turn_and_an_unlabelled_line_continues_the_turn()
    {
        var transcript = Parse("Coach: How was your week?\nClient Anna: Better.\nI slept well.\n\nCoach: Good to hear.");

        transcript.Format.Should().Be(TranscriptNormalizer.SpeakerLinesFormat);
        transcript.Segments.Select(s => (s.Id, s.Speaker, s.Text)).Should().Equal(
            ("s1", "Coach", "How was your week?"), ("s2", "Client Anna", "Better. I slept well."), ("s3", "Coach", "Good to hear."));
        transcript.Speakers.Should().Equal("Coach", "Client Anna");
    }

    [Fact]
    public void Cues_of_a_WebVTT_file_keep_their_times_and_take_the_speaker_from_the_voice_tag_or_a_leading_name()
    {
        const string vtt = "WEBVTT - session 12\n\nNOTE recorded with consent\n\n1\n00:00:01.000 --> 00:00:04.500 align:start\n<v Coach>How are you, <i>really</i>?</v>\n\n00:01:02.250 --> 00:01:05.000\nClient: Fine &amp; calm.\n\n01:00:00.000 --> 01:00:01.000\nno speaker here\n";

        var transcript = Parse(vtt);

        transcript.Format.Should().Be(TranscriptNormalizer.WebVttFormat);
        transcript.Segments.Select(s => (s.Speaker, s.Text)).Should().Equal(("Coach", "How are you, really?"), ("Client", "Fine & calm."), ("unknown", "no speaker here"));
        (transcript.Segments[0].Start, transcript.Segments[0].End).Should().Be((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4.5)));
        transcript.Segments[2].Start.Should().Be(TimeSpan.FromHours(1));
    }

    [Fact]
    public void A_byte_order_mark_and_windows_line_ends_are_accepted()
    {
        var transcript = Parse("\uFEFFWEBVTT\r\n\r\n00:00.000 --> 00:02.000\r\n<v.loud Ana>Hi</v>\r\n");

        transcript.Segments.Should().ContainSingle().Which.Speaker.Should().Be("Ana");
    }

    [Theory]
    [InlineData("WEBVTT\n\n00:00:05.000 --> 00:00:01.000\n<v A>backwards</v>", "ends before it starts")]
    [InlineData("WEBVTT\n\nnot a cue\nhello", "no valid timing line")]
    [InlineData("WEBVTT\n\nNOTE only a note", "no cue with text")]
    [InlineData("just prose without a speaker", "names no speaker")]
    [InlineData("", "No line of the form")]
    public void A_transcript_that_cannot_be_read_fails_with_the_reason(string text, string reason)
    {
        var parse = () => Parse(text);

        parse.Should().Throw<TranscriptFormatException>().Which.Message.Should().Contain(reason);
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_are_refused()
    {
        var parse = () => TranscriptNormalizer.Parse(new byte[] { 0x43, 0x3A, 0x20, 0xC3, 0x28 });

        parse.Should().Throw<TranscriptFormatException>().Which.ErrorType.Should().Be(TranscriptFormatException.Name);
    }

    [Fact]
    public void Each_limit_is_enforced_with_its_figure()
    {
        var limits = new TranscriptLimits(MaxBytes: 1000, MaxLines: 5, MaxLineLength: 40, MaxSegments: 2);

        ((Action)(() => Parse(new string('a', 1001), limits))).Should().Throw<TranscriptFormatException>().WithMessage("*at most 1000 bytes*");
        ((Action)(() => Parse("A: 1\nA: 2\nA: 3\nA: 4\nA: 5\nA: 6", limits))).Should().Throw<TranscriptFormatException>().WithMessage("*at most 5 lines*");
        ((Action)(() => Parse("A: " + new string('x', 40), limits))).Should().Throw<TranscriptFormatException>().WithMessage("Line 1 is longer than 40*");
        ((Action)(() => Parse("A: 1\nB: 2\nA: 3", limits))).Should().Throw<TranscriptFormatException>().WithMessage("*at most 2 segments*");
    }

    [Fact]
    public void A_url_at_the_start_of_a_line_is_not_taken_for_a_speaker()
    {
        var transcript = Parse("Coach: see the notes\nhttps://example.com/notes");

        transcript.Segments.Should().ContainSingle().Which.Text.Should().Be("see the notes https://example.com/notes");
    }

    [Fact]
    public void The_WebVTT_header_block_with_its_settings_is_not_taken_for_a_cue()
    {
        var transcript = Parse("WEBVTT\nKind: captions\nLanguage: en\n\n00:00:01.000 --> 00:00:02.000\nCoach: Welcome back.\n");

        transcript.Segments.Should().ContainSingle().Which.Text.Should().Be("Welcome back.");
    }

    [Fact]
    public void A_voice_tag_built_to_make_matching_slow_is_read_at_once()
    {
        var cue = "<v" + string.Concat(Enumerable.Repeat(".", 5000)) + "x";
        var started = System.Diagnostics.Stopwatch.StartNew();

        var transcript = Parse($"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{cue}\n");

        transcript.Segments.Should().ContainSingle().Which.Speaker.Should().Be("unknown");
        started.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "no catastrophic backtracking");
    }

    [Fact]
    public void Hours_beyond_three_digits_are_a_format_failure_not_a_crash()
    {
        var parse = () => Parse("WEBVTT\n\n99999999999:00:01.000 --> 99999999999:00:02.000\n<v A>x</v>");

        parse.Should().Throw<TranscriptFormatException>().Which.Message.Should().Contain("no valid timing line");
    }
}
