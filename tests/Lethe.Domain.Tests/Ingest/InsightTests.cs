using System.Text;
using Lethe.Domain.Ingest;

namespace Lethe.Domain.Tests.Ingest;

/// <summary>The local insight model and the evidence pack's levels: every claim cites an existing segment, or the pack fails.</summary>
public sealed class InsightTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] SessionSource = Encoding.UTF8.GetBytes(
        "Coach: How did the sleeping routine go this week?\n"
        + "Client: The sleeping routine helped. I went to bed at ten most nights. Work stress kept me awake twice.\n"
        + "Coach: What made the work stress worse?\n"
        + "Client: Deadlines. The deadlines at work pile up on Thursdays.\n"
        + "Coach: Ok.");

    private static readonly Transcript Session = TranscriptNormalizer.Parse(SessionSource);

    [Fact]
    public async Task The_local_model_summarizes_with_sentences_of_the_transcript_each_citing_its_segment()
    {
        var insight = await new ExtractiveInsightModel().DeriveAsync(Session, Ct);

        insight.Summary.Select(c => (c.Text, c.Citations[0])).Should().Equal(
            ("How did the sleeping routine go this week?", "s1"), ("The sleeping routine helped.", "s2"), ("Deadlines.", "s4"));
        (insight.Model, insight.ModelVersion, insight.NoTraining).Should().Be(("lethe-extractive", "1.0", true));
    }

    [Fact]
    public async Task The_themes_are_the_most_used_content_words_citing_every_segment_that_uses_them()
    {
        var insight = await new ExtractiveInsightModel().DeriveAsync(Session, Ct);

        insight.Themes.Select(t => t.Text).Should().Equal("routine", "sleeping", "stress");
        insight.Themes[0].Citations.Should().Equal("s1", "s2");
    }

    [Fact]
    public async Task The_same_transcript_always_gives_the_same_insight()
    {
        var model = new ExtractiveInsightModel();

        var first = await model.DeriveAsync(Session, Ct);
        var second = await model.DeriveAsync(Session, Ct);

        second.Summary.Select(c => c.Text).Should().Equal(first.Summary.Select(c => c.Text));
        second.Themes.Select(c => c.Text).Should().Equal(first.Themes.Select(c => c.Text));
    }

    [Fact]
    public async Task An_evidence_pack_of_the_model_s_insight_is_valid_and_hashes_its_source_and_segments()
    {
        var insight = await new ExtractiveInsightModel().DeriveAsync(Session, Ct);

        var pack = EvidencePack.Assemble(SessionSource, Session, insight);

        pack.IsValid.Should().BeTrue(string.Join("; ", pack.Problems));
        pack.SourceSha256.Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(SessionSource)));
        pack.SegmentIds.Should().Equal("s1", "s2", "s3", "s4", "s5");
        pack.SegmentSha256["s5"].Should().Be("d87d3680146bd7ab0891a57de9e96fe87e53d32b5970b14519138ae3e8e24840", "sha256sum of the segment's text \"Ok.\"");
    }

    [Fact]
    public void An_evidence_pack_hashes_the_source_as_sha256sum_does()
    {
        var pack = EvidencePack.Assemble("Coach: hi"u8, TranscriptNormalizer.Parse("Coach: hi"u8), new Insight([new InsightClaim("hi", ["s1"])], [], "m", "1"));

        pack.SourceSha256.Should().Be("f944ea253a3e06f3b9e0ab52857a154945236caa46cacb2c888f757d09c4b4c8", "sha256sum of the bytes, computed outside .NET");
        pack.IsValid.Should().BeTrue();
    }

    [Fact]
    public void A_claim_that_cites_a_segment_which_does_not_say_it_fails_the_pack()
    {
        var forged = new Insight([new InsightClaim("The client wants to quit.", ["s2"])], [new InsightClaim("deadlines", ["s1"])], "other-model", "2");

        var pack = EvidencePack.Assemble(SessionSource, Session, forged);

        pack.Problems.Should().BeEquivalentTo(
            "The summary \"The client wants to quit.\" is not in segment s2, which it cites.", "The theme \"deadlines\" is not in segment s1, which it cites.");
    }

    [Fact]
    public void An_evidence_pack_whose_claims_cite_nothing_or_a_missing_segment_fails_with_each_problem()
    {
        var insight = new Insight([new InsightClaim("Sleep improved.", ["s9"])], [new InsightClaim("stress", [])], "other-model", "2");

        var pack = EvidencePack.Assemble("x"u8, Session, insight);

        pack.IsValid.Should().BeFalse();
        pack.Problems.Should().BeEquivalentTo(
            "The summary \"Sleep improved.\" cites segment s9, which does not exist.", "The theme \"stress\" cites no segment.");
    }

    [Fact]
    public async Task Pseudonym_tokens_are_never_taken_for_themes()
    {
        var key = new byte[32];
        var tokens = Pseudonymizer.Transcript(key, TranscriptNormalizer.Parse(Encoding.UTF8.GetBytes(
            "Coach: write to anna@example.com\nClient: anna@example.com works\nCoach: anna@example.com it is, about the budget planning")));

        var insight = await new ExtractiveInsightModel().DeriveAsync(tokens, Ct);

        insight.Themes.Select(t => t.Text).Should().NotContain("email").And.Contain("budget");
    }
}
