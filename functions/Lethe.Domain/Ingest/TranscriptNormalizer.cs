using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Lethe.Domain.Ingest;

/// <summary>One speaker's turn: a stable id (<c>s1</c>, <c>s2</c>, …) that derived insights cite, the speaker, the text, and its cue times (WebVTT).</summary>
public sealed record TranscriptSegment(string Id, string Speaker, string Text)
{
    public TimeSpan? Start { get; init; }

    public TimeSpan? End { get; init; }
}

/// <summary>A transcript as structured content: its segments in order, and the format it was read from.</summary>
public sealed record Transcript(string Format, IReadOnlyList<TranscriptSegment> Segments)
{
    public IReadOnlyList<string> Speakers => [.. Segments.Select(s => s.Speaker).Distinct(StringComparer.Ordinal)];
}

/// <summary>The bounds a transcript is read within; beyond them the upload fails with the reason (never a partial transcript).</summary>
public sealed record TranscriptLimits(int MaxBytes, int MaxLines, int MaxLineLength, int MaxSegments)
{
    /// <summary>5 MB, 100,000 lines of at most 10,000 characters, 50,000 segments.</summary>
    public static TranscriptLimits Default { get; } = new(5 * 1024 * 1024, 100_000, 10_000, 50_000);
}

/// <summary>A transcript that cannot be read: not UTF-8, over a limit, or without any segment. Step Functions matches the name.</summary>
public sealed class TranscriptFormatException(string message) : Errors.LetheException(message)
{
    public const string Name = "Lethe.TranscriptFormat";

    public override string ErrorType => Name;
}

/// <summary>
/// Reads transcripts (DESIGN.md, normalize): WebVTT (a <c>WEBVTT</c> header; cues with <c>start --&gt; end</c> timings, optional
/// cue ids, speakers as <c>&lt;v Name&gt;</c> voice tags or a leading <c>Name:</c>), or plain <c>Speaker: text</c> lines where a
/// line without a speaker continues the turn before it. Consecutive cues of one speaker stay separate segments (their times
/// differ); markup inside cues is dropped.
/// </summary>
public static partial class TranscriptNormalizer
{
    public const string WebVttFormat = "webvtt";
    public const string SpeakerLinesFormat = "speaker-lines";

    public static Transcript Parse(ReadOnlySpan<byte> content, TranscriptLimits? limits = null)
    {
        limits ??= TranscriptLimits.Default;
        if (content.Length > limits.MaxBytes)
        {
            throw new TranscriptFormatException($"A transcript is at most {limits.MaxBytes} bytes; this one has {content.Length}.");
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (DecoderFallbackException)
        {
            throw new TranscriptFormatException("A transcript is UTF-8 text; this one holds bytes that are not.");
        }

        var lines = text.TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        if (lines.Length > limits.MaxLines)
        {
            throw new TranscriptFormatException($"A transcript has at most {limits.MaxLines} lines; this one has {lines.Length}.");
        }

        var tooLong = Array.FindIndex(lines, l => l.Length > limits.MaxLineLength);
        if (tooLong >= 0)
        {
            throw new TranscriptFormatException($"Line {tooLong + 1} is longer than {limits.MaxLineLength} characters.");
        }

        var isVtt = lines.Length > 0 && (lines[0] == "WEBVTT" || lines[0].StartsWith("WEBVTT ", StringComparison.Ordinal) || lines[0].StartsWith("WEBVTT\t", StringComparison.Ordinal));
        List<TranscriptSegment> segments;
        try
        {
            segments = isVtt ? ParseVtt(lines) : ParseSpeakerLines(lines);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new TranscriptFormatException("The transcript could not be read in time: a line is built to make parsing slow.");
        }

        if (segments.Count == 0)
        {
            throw new TranscriptFormatException(isVtt
                ? "The WebVTT file has no cue with text."
                : "No line of the form \"Speaker: text\" was found.");
        }

        if (segments.Count > limits.MaxSegments)
        {
            throw new TranscriptFormatException($"A transcript has at most {limits.MaxSegments} segments; this one has {segments.Count}.");
        }

        return new Transcript(isVtt ? WebVttFormat : SpeakerLinesFormat, segments);
    }

    private static List<TranscriptSegment> ParseSpeakerLines(string[] lines)
    {
        // Each turn's text is built once (a long run of continuation lines is not copied line by line).
        var turns = new List<(string Speaker, StringBuilder Text)>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (SpeakerLine().Match(line) is { Success: true } match)
            {
                turns.Add((match.Groups["speaker"].Value.Trim(), new StringBuilder(match.Groups["text"].Value.Trim())));
            }
            else if (turns.Count > 0)
            {
                turns[^1].Text.Append(' ').Append(line);
            }
            else
            {
                throw new TranscriptFormatException("The transcript starts with a line that names no speaker (\"Speaker: text\").");
            }
        }

        return [.. turns.Select((t, i) => new TranscriptSegment($"s{i + 1}", t.Speaker, t.Text.ToString()))];
    }

    private static List<TranscriptSegment> ParseVtt(string[] lines)
    {
        var segments = new List<TranscriptSegment>();
        // The header block (WEBVTT and lines such as "Kind: captions", "Language: en") ends at the first blank line.
        var i = 1;
        while (i < lines.Length && lines[i].Trim().Length > 0)
        {
            i++;
        }

        while (i < lines.Length)
        {
            // Blocks are separated by blank lines; NOTE, STYLE and REGION blocks carry no speech.
            if (lines[i].Trim().Length == 0)
            {
                i++;
                continue;
            }

            var block = new List<string>();
            // Failures name the line, never its text (a cue is what someone said).
            var firstLine = i + 1;
            while (i < lines.Length && lines[i].Trim().Length > 0)
            {
                block.Add(lines[i++]);
            }

            if (block[0].StartsWith("NOTE", StringComparison.Ordinal) || block[0].StartsWith("STYLE", StringComparison.Ordinal) || block[0].StartsWith("REGION", StringComparison.Ordinal))
            {
                continue;
            }

            var timing = block.FindIndex(l => l.Contains("-->", StringComparison.Ordinal));
            if (timing is < 0 or > 1 || CueTiming().Match(block[timing]) is not { Success: true } times)
            {
                throw new TranscriptFormatException($"The WebVTT cue at line {firstLine} has no valid timing line (\"00:00:01.000 --> 00:00:04.000\").");
            }

            var start = Time(times.Groups["start"].Value);
            var end = Time(times.Groups["end"].Value);
            if (end < start)
            {
                throw new TranscriptFormatException($"The WebVTT cue at line {firstLine} ends before it starts.");
            }

            var payload = string.Join(' ', block.Skip(timing + 1).Select(l => l.Trim()));
            var (speaker, spoken) = VttSpeaker(payload);
            if (spoken.Length == 0)
            {
                continue;
            }

            segments.Add(new TranscriptSegment($"s{segments.Count + 1}", speaker, spoken) { Start = start, End = end });
        }

        return segments;
    }

    private static (string Speaker, string Text) VttSpeaker(string payload)
    {
        if (VoiceTag().Match(payload) is { Success: true } voice)
        {
            return (voice.Groups["speaker"].Value.Trim(), Clean(payload));
        }

        var text = Clean(payload);
        return SpeakerLine().Match(text) is { Success: true } match
            ? (match.Groups["speaker"].Value.Trim(), match.Groups["text"].Value.Trim())
            : ("unknown", text);
    }

    /// <summary>Cue text without its markup (voice, class, timestamp and styling tags) and with its entities decoded.</summary>
    private static string Clean(string payload) =>
        System.Net.WebUtility.HtmlDecode(Tags().Replace(payload, string.Empty)).Trim();

    private static TimeSpan Time(string value)
    {
        // The timing pattern allows at most three digits of hours: nothing here overflows.
        var parts = value.Split(':');
        var (hours, minutes, seconds) = parts.Length == 3 ? (int.Parse(parts[0], CultureInfo.InvariantCulture), parts[1], parts[2]) : (0, parts[0], parts[1]);
        return new TimeSpan(0, hours, int.Parse(minutes, CultureInfo.InvariantCulture), 0)
            + TimeSpan.FromMilliseconds(Math.Round(double.Parse(seconds, CultureInfo.InvariantCulture) * 1000));
    }


    [GeneratedRegex(@"^(?<speaker>[\p{L}\p{M}][\p{L}\p{M}\p{N} .'’\-]{0,59}):(?!//)\s*(?<text>.*)$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SpeakerLine();

    [GeneratedRegex(@"^(?<start>(\d{2,3}:)?[0-5]\d:[0-5]\d\.\d{3})[ \t]+-->[ \t]+(?<end>(\d{2,3}:)?[0-5]\d:[0-5]\d\.\d{3})([ \t].*)?$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CueTiming();

    [GeneratedRegex(@"<v(?:\.[^\s.<>]+)*[ \t]+(?<speaker>[^<>]+)>", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex VoiceTag();

    [GeneratedRegex(@"<[^<>]*>", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Tags();
}
