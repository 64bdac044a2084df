using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Lethe.Domain.Ingest;

/// <summary>One statement of an insight and the transcript segments it rests on (their ids).</summary>
public sealed record InsightClaim(string Text, IReadOnlyList<string> Citations);

/// <summary>A derived insight: a summary and themes, each citing segments; which model made it (name, version), never trained on.</summary>
public sealed record Insight(IReadOnlyList<InsightClaim> Summary, IReadOnlyList<InsightClaim> Themes, string Model, string ModelVersion)
{
    /// <summary>Set on every insight Lethe asks for: the model's provider may not train on the input.</summary>
    public bool NoTraining { get; init; } = true;
}

/// <summary>The model port of the derive step: it only ever receives pseudonymized transcripts (<see cref="Pseudonymizer"/>).</summary>
public interface IInsightModel
{
    string Name { get; }

    string Version { get; }

    Task<Insight> DeriveAsync(Transcript pseudonymized, CancellationToken cancellationToken);
}

/// <summary>
/// The deterministic local model (DESIGN.md, derive): extractive, so every claim is a sentence of the transcript and cites the
/// segment it came from. The summary is the first sentence of each of the (up to) three longest segments, in transcript
/// order; the themes are the three most frequent content words (five letters or more, tokens and stop words left out), each
/// citing every segment that uses it. The same transcript always gives the same insight.
/// </summary>
public sealed partial class ExtractiveInsightModel : IInsightModel
{
    public string Name => "lethe-extractive";

    public string Version => "1.0";

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "about", "after", "again", "because", "before", "being", "could", "doing", "every", "going", "maybe", "might", "other",
        "really", "should", "still", "their", "there", "these", "thing", "things", "think", "those", "today", "where", "which",
        "while", "would", "yeah", "right", "thanks", "great", "always", "never", "something", "anything", "everything",
    };

    public Task<Insight> DeriveAsync(Transcript pseudonymized, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pseudonymized);
        var summary = pseudonymized.Segments
            .Select((segment, index) => (segment, index))
            .OrderByDescending(s => s.segment.Text.Length).ThenBy(s => s.index)
            .Take(3)
            .OrderBy(s => s.index)
            .Select(s => new InsightClaim(FirstSentence(s.segment.Text), [s.segment.Id]))
            .Where(c => c.Text.Length > 0)
            .ToList();
        var themes = pseudonymized.Segments
            .SelectMany(segment => Words(segment.Text).Distinct(StringComparer.Ordinal).Select(word => (word, segment.Id)))
            .GroupBy(w => w.word, StringComparer.Ordinal)
            .Select(g => (Word: g.Key, Segments: g.Select(w => w.Id).ToList()))
            .OrderByDescending(g => g.Segments.Count).ThenBy(g => g.Word, StringComparer.Ordinal)
            .Take(3)
            .Select(g => new InsightClaim(g.Word, g.Segments))
            .ToList();
        return Task.FromResult(new Insight(summary, themes, Name, Version));
    }

    private static string FirstSentence(string text)
    {
        var end = SentenceEnd().Match(text);
        return (end.Success ? text[..(end.Index + 1)] : text).Trim();
    }

    private static IEnumerable<string> Words(string text) =>
        Word().Matches(Token().Replace(text, " ")).Select(m => m.Value.ToLower(CultureInfo.InvariantCulture)).Where(w => w.Length >= 5 && !StopWords.Contains(w));

    [GeneratedRegex(@"[.!?](\s|$)")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"\p{L}+")]
    private static partial Regex Word();

    [GeneratedRegex(@"\[[a-z_-]+:[0-9a-f]{8}\]")]
    private static partial Regex Token();
}

/// <summary>
/// The evidence pack of DESIGN.md: L0 the source's hash and each segment's, L1 the derived insight with its citations, L2 the
/// cross-check that every claim cites something, every citation names an existing segment, and what a claim says is in the
/// segments it cites (a summary sentence in its segment, a theme word in each). A pack that fails L2 stops the upload before
/// approval, with the problems as the reason.
/// </summary>
public sealed record EvidencePack(string SourceSha256, IReadOnlyList<string> SegmentIds, Insight Insight, IReadOnlyList<string> Problems)
{
    /// <summary>L0 per segment: the SHA-256 of each segment's text (as the model saw it), by segment id.</summary>
    public IReadOnlyDictionary<string, string> SegmentSha256 { get; init; } = new Dictionary<string, string>();

    public bool IsValid => Problems.Count == 0;

    public static EvidencePack Assemble(ReadOnlySpan<byte> source, Transcript transcript, Insight insight)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        ArgumentNullException.ThrowIfNull(insight);
        var segmentIds = transcript.Segments.Select(s => s.Id).ToList();
        var texts = transcript.Segments.ToDictionary(s => s.Id, s => s.Text, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (claim, part) in insight.Summary.Select(c => (c, "summary")).Concat(insight.Themes.Select(c => (c, "theme"))))
        {
            if (claim.Citations.Count == 0)
            {
                problems.Add($"The {part} \"{Shorten(claim.Text)}\" cites no segment.");
            }

            foreach (var citation in claim.Citations)
            {
                if (!texts.TryGetValue(citation, out var text))
                {
                    problems.Add($"The {part} \"{Shorten(claim.Text)}\" cites segment {citation}, which does not exist.");
                }
                else if (!text.Contains(claim.Text, StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"The {part} \"{Shorten(claim.Text)}\" is not in segment {citation}, which it cites.");
                }
            }
        }

        if (insight.Summary.Count == 0)
        {
            problems.Add("The insight has no summary.");
        }

        return new EvidencePack(Convert.ToHexStringLower(SHA256.HashData(source)), segmentIds, insight, problems)
        {
            SegmentSha256 = transcript.Segments.ToDictionary(s => s.Id, s => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s.Text))), StringComparer.Ordinal),
        };
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    public override string ToString() => new StringBuilder().Append("EvidencePack ").Append(SourceSha256).Append(IsValid ? " valid" : " invalid").ToString();
}
