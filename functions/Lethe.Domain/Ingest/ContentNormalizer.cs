using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lethe.Domain.Ingest;

/// <summary>
/// Step 2 of the lifecycle (DESIGN.md, normalize): an upload's bytes, by its declared type, as segments with ids, the form every
/// later step reads. Transcripts (<c>text/vtt</c>, and <c>text/plain</c> in <c>Speaker: text</c> lines) keep their speakers;
/// other plain text becomes one segment per paragraph, JSON one per string value, CSV one per row (<c>column: value; …</c>);
/// those have no speaker. ZIP archives are scanned, never normalized. The stored form is bounded
/// (<see cref="MaxStoredCharacters"/>): a record holds it, field-level encrypted, in fields of JSON lines.
/// </summary>
public static class ContentNormalizer
{
    /// <summary>What one upload's normalized content may hold: 256 K characters (about four hours of conversation).</summary>
    public const int MaxStoredCharacters = 256 * 1024;

    /// <summary>Characters per stored field (a record field holds at most 64 K).</summary>
    public const int FieldCharacters = 60_000;

    public const string FieldPrefix = "segments.";
    public const string ParagraphsFormat = "paragraphs";
    public const string JsonFormat = "json";
    public const string CsvFormat = "csv";

    public static Transcript Normalize(string contentType, ReadOnlySpan<byte> content)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        var transcript = contentType switch
        {
            "text/vtt" => TranscriptNormalizer.Parse(content),
            "text/plain" => PlainText(content),
            "application/json" => Json(content),
            "text/csv" => Csv(content),
            _ => throw new TranscriptFormatException($"{contentType} uploads are scanned and kept, not normalized: upload text, WebVTT, JSON or CSV."),
        };
        var stored = transcript.Segments.Sum(s => s.Text.Length + s.Speaker.Length + 64);
        return stored > MaxStoredCharacters
            ? throw new TranscriptFormatException($"The normalized content has about {stored / 1024} K characters; an upload holds at most {MaxStoredCharacters / 1024} K. Split it into several uploads.")
            : transcript;
    }

    /// <summary>The transcript as record fields: <c>segments.1</c>, <c>segments.2</c>, … each a run of JSON lines under 60 K characters.</summary>
    public static Dictionary<string, string> ToFields(Transcript transcript)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var current = new StringBuilder();
        foreach (var segment in transcript.Segments)
        {
            var line = new JsonObject
            {
                ["id"] = segment.Id,
                ["speaker"] = segment.Speaker,
                ["text"] = segment.Text,
                ["start"] = segment.Start?.TotalSeconds,
                ["end"] = segment.End?.TotalSeconds,
            }.ToJsonString();
            if (current.Length > 0 && current.Length + line.Length + 1 > FieldCharacters)
            {
                fields[$"{FieldPrefix}{fields.Count + 1}"] = current.ToString();
                current.Clear();
            }

            current.Append(line).Append('\n');
        }

        if (current.Length > 0)
        {
            fields[$"{FieldPrefix}{fields.Count + 1}"] = current.ToString();
        }

        return fields;
    }

    /// <summary>The transcript back from its record fields (in field order).</summary>
    public static Transcript FromFields(string format, IReadOnlyDictionary<string, string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var segments = new List<TranscriptSegment>();
        for (var n = 1; fields.TryGetValue($"{FieldPrefix}{n}", out var lines); n++)
        {
            foreach (var line in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var node = JsonNode.Parse(line)!.AsObject();
                segments.Add(new TranscriptSegment(node["id"]!.GetValue<string>(), node["speaker"]!.GetValue<string>(), node["text"]!.GetValue<string>())
                {
                    Start = node["start"] is { } start ? TimeSpan.FromSeconds(start.GetValue<double>()) : null,
                    End = node["end"] is { } end ? TimeSpan.FromSeconds(end.GetValue<double>()) : null,
                });
            }
        }

        return new Transcript(format, segments);
    }

    private static Transcript PlainText(ReadOnlySpan<byte> content)
    {
        try
        {
            return TranscriptNormalizer.Parse(content);
        }
        catch (TranscriptFormatException) when (!LooksLikeSpeakerLines(content))
        {
            var text = Text(content);
            var paragraphs = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n")
                .Select(p => string.Join(' ', p.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
                .Where(p => p.Length > 0)
                .ToList();
            return paragraphs.Count == 0
                ? throw new TranscriptFormatException("The text upload is empty.")
                : Bounded(new Transcript(ParagraphsFormat, [.. paragraphs.Select((p, i) => new TranscriptSegment($"s{i + 1}", string.Empty, p))]));
        }
    }

    /// <summary>A text whose first non-empty line names a speaker is a transcript: its own errors stand.</summary>
    private static bool LooksLikeSpeakerLines(ReadOnlySpan<byte> content)
    {
        var text = Encoding.UTF8.GetString(content[..Math.Min(content.Length, 4096)]);
        var first = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        var colon = first?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        return colon is > 0 and <= 40 && first![..colon].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length <= 4;
    }

    private static Transcript Json(ReadOnlySpan<byte> content)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(Text(content), documentOptions: new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new TranscriptFormatException($"The JSON upload is not valid JSON (line {ex.LineNumber + 1}).");
        }

        var values = new List<string>();
        Collect(root, values);
        return values.Count == 0
            ? throw new TranscriptFormatException("The JSON upload holds no text value.")
            : Bounded(new Transcript(JsonFormat, [.. values.Select((v, i) => new TranscriptSegment($"s{i + 1}", string.Empty, v))]));
    }

    private static void Collect(JsonNode? node, List<string> values)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    Collect(child, values);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Collect(child, values);
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Trim() is { Length: > 0 } text:
                values.Add(text);
                break;
        }
    }

    private static Transcript Csv(ReadOnlySpan<byte> content)
    {
        var rows = CsvRows(Text(content));
        if (rows.Count < 2)
        {
            throw new TranscriptFormatException("The CSV upload needs a header row and at least one row of values.");
        }

        var header = rows[0];
        var segments = new List<TranscriptSegment>();
        for (var r = 1; r < rows.Count; r++)
        {
            if (rows[r].Count != header.Count)
            {
                throw new TranscriptFormatException($"Row {r + 1} of the CSV upload has {rows[r].Count} values; the header has {header.Count}.");
            }

            var text = string.Join("; ", header.Zip(rows[r]).Where(c => c.Second.Length > 0).Select(c => $"{c.First}: {c.Second}"));
            if (text.Length > 0)
            {
                segments.Add(new TranscriptSegment($"s{segments.Count + 1}", string.Empty, text));
            }
        }

        return segments.Count == 0 ? throw new TranscriptFormatException("The CSV upload has no values.") : Bounded(new Transcript(CsvFormat, segments));
    }

    /// <summary>RFC 4180 rows: quoted fields may hold commas, quotes (doubled) and line breaks.</summary>
    private static List<List<string>> CsvRows(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString().Trim());
                field.Clear();
            }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                row.Add(field.ToString().Trim());
                field.Clear();
                if (row.Count > 1 || row[0].Length > 0)
                {
                    rows.Add(row);
                }

                row = [];
            }
            else
            {
                field.Append(c);
            }
        }

        if (quoted)
        {
            throw new TranscriptFormatException("The CSV upload ends inside a quoted value.");
        }

        row.Add(field.ToString().Trim());
        if (row.Count > 1 || row[0].Length > 0)
        {
            rows.Add(row);
        }

        return rows;
    }

    private static Transcript Bounded(Transcript transcript) =>
        transcript.Segments.Count > TranscriptLimits.Default.MaxSegments
            ? throw new TranscriptFormatException($"An upload has at most {TranscriptLimits.Default.MaxSegments} segments; this one has {transcript.Segments.Count}.")
            : transcript;

    private static string Text(ReadOnlySpan<byte> content)
    {
        if (content.Length > TranscriptLimits.Default.MaxBytes)
        {
            throw new TranscriptFormatException($"An upload is normalized up to {TranscriptLimits.Default.MaxBytes} bytes; this one has {content.Length}.");
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new TranscriptFormatException("The upload is not UTF-8 text.");
        }
    }
}
