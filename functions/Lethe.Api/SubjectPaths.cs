using System.Text.RegularExpressions;

namespace Lethe.Api;

/// <summary>
/// Subject ids travel in request paths (<c>/subjects/{s}/…</c>) and query strings (<c>?subjectId=…</c>) and must never reach a
/// log in clear (DESIGN.md): every string the API logs passes through <see cref="Redact"/>, which keeps the shape of the path
/// and query and drops the id.
/// </summary>
public static partial class SubjectPaths
{
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains("/subjects/", StringComparison.Ordinal))
        {
            text = SubjectSegment().Replace(text, "/subjects/[redacted]");
        }

        return text.Contains("subjectid=", StringComparison.OrdinalIgnoreCase) ? SubjectQuery().Replace(text, "${name}=[redacted]") : text;
    }

    [GeneratedRegex("/subjects/[^/?#\\s\"]+", RegexOptions.CultureInvariant)]
    private static partial Regex SubjectSegment();

    [GeneratedRegex("(?<name>subjectId)=[^&#\\s\"]*", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SubjectQuery();
}
