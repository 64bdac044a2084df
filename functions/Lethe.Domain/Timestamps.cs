using System.Globalization;

namespace Lethe.Domain;

/// <summary>
/// The one way Lethe writes an instant: UTC, ISO 8601, milliseconds, <c>Z</c> (<c>2026-12-02T09:00:00.000Z</c>). Fixed width,
/// so stored timestamps sort as text (index sort keys rely on it), and the same in the audit chain, the stores and the API.
/// </summary>
public static class Timestamps
{
    public const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string Format(DateTimeOffset at) => at.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>Reads a stored timestamp (any ISO 8601 form; without an offset it is UTC).</summary>
    public static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
