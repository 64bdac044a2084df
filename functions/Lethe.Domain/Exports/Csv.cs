using System.Text;

namespace Lethe.Domain.Exports;

/// <summary>
/// RFC 4180 fields: a value with a comma, a quote, CR or LF is quoted and its quotes doubled, so any CSV reader gets the exact
/// value back. Values are never rewritten (an export returns data as it was written).
/// </summary>
public static class Csv
{
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
    }

    /// <summary>One line, CRLF-terminated as RFC 4180 writes it.</summary>
    public static string Line(IEnumerable<string?> values)
    {
        var line = new StringBuilder();
        foreach (var value in values)
        {
            if (line.Length > 0)
            {
                line.Append(',');
            }

            line.Append(Field(value));
        }

        // An empty first field would make a one-column line blank; quote it so the row survives.
        return (line.Length == 0 ? "\"\"" : line.ToString()) + "\r\n";
    }
}
