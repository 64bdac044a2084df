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
        var result = new StringBuilder(text);
        foreach (var match in PiiDetector.Scan(text).OrderByDescending(m => m.Start))
        {
            var value = text.Substring(match.Start, match.Length);
            result.Remove(match.Start, match.Length).Insert(match.Start, Token(tenantKey, PiiKinds.Name(match.Kind), value));
        }

        return result.ToString();
    }

    /// <summary>A transcript as a model may see it: speakers and detected PII as tokens, segment ids and times kept for citations.</summary>
    public static Transcript Transcript(ReadOnlySpan<byte> tenantKey, Transcript transcript)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        var speakers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var speaker in transcript.Speakers)
        {
            speakers[speaker] = Token(tenantKey, "speaker", speaker);
        }

        var segments = new List<TranscriptSegment>(transcript.Segments.Count);
        foreach (var segment in transcript.Segments)
        {
            var text = Text(tenantKey, segment.Text);
            // A speaker named in what someone says ("Thanks, Anna Berg") is the same person: the same token.
            foreach (var (speaker, token) in speakers.Where(s => s.Key.Length >= 3).OrderByDescending(s => s.Key.Length))
            {
                text = System.Text.RegularExpressions.Regex.Replace(text, $@"(?<![\p{{L}}\p{{N}}]){System.Text.RegularExpressions.Regex.Escape(speaker)}(?![\p{{L}}\p{{N}}])", token,
                    System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }

            segments.Add(segment with { Speaker = speakers[segment.Speaker], Text = text });
        }

        return transcript with { Segments = segments };
    }
}
