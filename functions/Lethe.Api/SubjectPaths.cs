using System.Text.RegularExpressions;

namespace Lethe.Api;

/// <summary>
/// Subject ids travel in request paths (<c>/subjects/{s}/…</c>) and must never reach a log in clear (DESIGN.md): every string the
/// API logs passes through <see cref="Redact"/>, which keeps the shape of the path and drops the id.
/// </summary>
public static partial class SubjectPaths
{
    public static string Redact(string text) =>
        text.Contains("/subjects/", StringComparison.Ordinal) ? SubjectSegment().Replace(text, "/subjects/[redacted]") : text;

    [GeneratedRegex("/subjects/[^/?#\\s\"]+", RegexOptions.CultureInvariant)]
    private static partial Regex SubjectSegment();
}
