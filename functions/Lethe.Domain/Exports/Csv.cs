using System.Text;

namespace Lethe.Domain.Exports;

/// <summary>
/// The one CSV writer of Lethe (exports, audit pages, audit exports): RFC 4180 fields (a value with a comma, a quote, CR or LF
/// is quoted and its quotes doubled) with spreadsheet formula injection neutralised the same way everywhere: a cell that
/// starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return gets a leading apostrophe, so no spreadsheet
/// runs it (OWASP's rule). JSON files carry every value verbatim and are the reference.
/// </summary>
public static class Csv
{
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
    }

    /// <summary>One line, CRLF-terminated as RFC 4180 writes it.</summary>
    public static string Line(IEnumerable<string?> values)
    {
        var line = new StringBuilder();
        var first = true;
        foreach (var value in values)
        {
            if (!first)
            {
                line.Append(',');
            }

            first = false;
            line.Append(Field(value));
        }

        // An empty first field would make a one-column line blank; quote it so the row survives.
        return (line.Length == 0 ? "\"\"" : line.ToString()) + "\r\n";
    }
}
