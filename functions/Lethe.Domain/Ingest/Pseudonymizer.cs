using System.Security.Cryptography;
using System.Text;
using Lethe.Domain.Classification;

namespace Lethe.Domain.Ingest;

/// <summary>
/// What the derive step hands a model (DESIGN.md, derive: "only on pseudonymized text"): every PII value the detector finds is
/// replaced by a keyed token, <c>[email:3f9a1c2b]</c>, the first 8 hex characters of HMAC-SHA256 under the tenant's key. The
/// same value is the same token within a tenant (a model can still tell "the same address again"), a different tenant's key
/// gives another, and without the key no token leads back to its value. Speakers are replaced the same way.
/// </summary>
public static class Pseudonymizer
{
    /// <summary>The token of one value; <paramref name="kind"/> says what it stood for.</summary>
    public static string Token(ReadOnlySpan<byte> tenantKey, string kind, string value)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(value);
        var mac = HMACSHA256.HashData(tenantKey, Encoding.UTF8.GetBytes($"{kind}\n{value}"));
        return $"[{kind}:{Convert.ToHexStringLower(mac.AsSpan(0, 4))}]";
    }

    /// <summary>The text with every detected PII value replaced by its token (later matches first, so offsets stay right).</summary>
    public static string Text(ReadOnlySpan<byte> tenantKey, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > PiiDetector.MaxScannedLength)
        {
            // The detector reads so far and no further: what lies beyond would reach the model unread. Fail closed.
            throw new TranscriptFormatException($"A segment of {text.Length} characters is longer than the {PiiDetector.MaxScannedLength} PII detection reads; split it.");
        }

        var result = new StringBuilder(text);
        foreach (var match in PiiDetector.Scan(text).OrderByDescending(m => m.Start))
        {
            var value = text.Substring(match.Start, match.Length);
            result.Remove(match.Start, match.Length).Insert(match.Start, Token(tenantKey, PiiKinds.Name(match.Kind), value));
        }

        return result.ToString();
    }

    /// <summary>
    /// A transcript as a model may see it: speakers and detected PII as tokens, segment ids and times kept for citations. A
    /// speaker named in what is said is replaced too, whatever its case, by the full name or any part of it ("Anna", "BERG"):
    /// a part gets a name token of its own (two speakers may share a first name).
    /// </summary>
    public static Transcript Transcript(ReadOnlySpan<byte> tenantKey, Transcript transcript)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        var speakers = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var speaker in transcript.Speakers)
        {
            speakers[speaker] = Token(tenantKey, "speaker", speaker);
            names[speaker] = speakers[speaker];
            foreach (var part in speaker.Split([' ', '-', '.', '\'', '’'], StringSplitOptions.RemoveEmptyEntries).Where(p => p.Length >= 2))
            {
                names.TryAdd(part, Token(tenantKey, "name", part.ToLowerInvariant()));
            }
        }

        var pattern = names.Count == 0 ? null : new System.Text.RegularExpressions.Regex(
            $@"(?<![\p{{L}}\p{{N}}])(?:{string.Join('|', names.Keys.OrderByDescending(n => n.Length).Select(System.Text.RegularExpressions.Regex.Escape))})(?![\p{{L}}\p{{N}}])",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));
        var segments = new List<TranscriptSegment>(transcript.Segments.Count);
        foreach (var segment in transcript.Segments)
        {
            var text = Text(tenantKey, segment.Text);
            if (pattern is not null)
            {
                text = pattern.Replace(text, m => names[m.Value]);
            }

            segments.Add(segment with { Speaker = speakers[segment.Speaker], Text = text });
        }

        return transcript with { Segments = segments };
    }
}
