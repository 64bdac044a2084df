using System.Text.RegularExpressions;

namespace Lethe.Api;

/// <summary>
/// Subject ids travel in request paths (<c>/subjects/{s}/…</c>) and query strings (<c>?subjectId=…</c>) and must never reach a
/// log in clear (DESIGN.md): every string the API logs passes through <see cref="Redact"/>, which keeps the shape of the path
/// and query and drops the id. Routing ignores case and decodes query names, so the redaction does too.
/// </summary>
public static partial class SubjectPaths
{
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains("/subjects/", StringComparison.OrdinalIgnoreCase))
        {
            text = SubjectSegment().Replace(text, m => $"/{m.Groups["word"].Value}/[redacted]");
        }

        return text.Contains('=', StringComparison.Ordinal) ? QueryPair().Replace(text, Redacted) : text;
    }

    private static string Redacted(Match pair)
    {
        string name;
        try
        {
            name = Uri.UnescapeDataString(pair.Groups["name"].Value);
        }
        catch (UriFormatException)
        {
            name = pair.Groups["name"].Value;
        }

        return name.Equals("subjectId", StringComparison.OrdinalIgnoreCase) ? $"{pair.Groups["lead"].Value}{pair.Groups["name"].Value}=[redacted]" : pair.Value;
    }

    [GeneratedRegex("/(?<word>subjects)/[^/?#\\s\"]+", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SubjectSegment();

    [GeneratedRegex("(?<lead>[?&])(?<name>[^&?=#\\s\"]+)=[^&#\\s\"]*", RegexOptions.CultureInvariant)]
    private static partial Regex QueryPair();
}
