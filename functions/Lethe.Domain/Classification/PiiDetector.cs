using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Lethe.Domain.Classification;

/// <summary>
/// Finds personal data in free text. Each kind has a candidate pattern and, where the format has one, a checksum that turns a
/// look-alike into a miss: payment cards must pass Luhn, IBANs mod-97 and their country's length, SSNs the SSA's rules,
/// IP addresses the address parser. Candidates are bounded so that digits inside longer numbers are not read as data.
/// </summary>
public static partial class PiiDetector
{
    /// <summary>Text beyond this length is scanned in its first part only (records carry fields, not books).</summary>
    public const int MaxScannedLength = 1_000_000;

    public static IReadOnlyList<PiiMatch> Scan(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        if (text.Length > MaxScannedLength)
        {
            text = text[..MaxScannedLength];
        }

        var matches = new List<PiiMatch>();
        foreach (Match m in EmailPattern().Matches(text))
        {
            matches.Add(new PiiMatch(PiiKind.Email, m.Index, m.Length));
        }

        foreach (Match m in CardPattern().Matches(text))
        {
            if (Luhn(Digits(m.Value)))
            {
                matches.Add(new PiiMatch(PiiKind.PaymentCard, m.Index, m.Length));
            }
        }

        foreach (Match m in IbanPattern().Matches(text))
        {
            if (IsIban(m.Value))
            {
                matches.Add(new PiiMatch(PiiKind.Iban, m.Index, m.Length));
            }
        }

        foreach (Match m in SsnPattern().Matches(text))
        {
            matches.Add(new PiiMatch(PiiKind.UsSsn, m.Index, m.Length));
        }

        foreach (Match m in IpV4Pattern().Matches(text))
        {
            if (m.Value.Split('.').All(o => o.Length <= 3 && int.Parse(o, System.Globalization.CultureInfo.InvariantCulture) <= 255 && (o.Length == 1 || o[0] != '0')))
            {
                matches.Add(new PiiMatch(PiiKind.IpV4, m.Index, m.Length));
            }
        }

        foreach (Match m in IpV6Pattern().Matches(text))
        {
            if (m.Value.Count(c => c == ':') >= 2 && IPAddress.TryParse(m.Value, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                matches.Add(new PiiMatch(PiiKind.IpV6, m.Index, m.Length));
            }
        }

        foreach (Match m in PhonePattern().Matches(text))
        {
            var digits = Digits(m.Value).Length;
            var overlapsOther = matches.Any(o => m.Index < o.Start + o.Length && o.Start < m.Index + m.Length);
            if (digits is >= 8 and <= 15 && !overlapsOther)
            {
                matches.Add(new PiiMatch(PiiKind.Phone, m.Index, m.Length));
            }
        }

        matches.Sort((a, b) => a.Start.CompareTo(b.Start));
        return matches;
    }

    /// <summary>The distinct kinds found, in the order of <see cref="PiiKind"/>.</summary>
    public static IReadOnlyList<PiiKind> Kinds(IEnumerable<string?> texts) =>
        texts.SelectMany(Scan).Select(m => m.Kind).Distinct().Order().ToList();

    public static string Digits(string value) => new(value.Where(char.IsAsciiDigit).ToArray());

    public static bool Luhn(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Length is < 13 or > 19)
        {
            return false;
        }

        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }

    /// <summary>IBAN check: known country length (where we know it), then ISO 7064 mod 97-10 equals 1.</summary>
    public static bool IsIban(string candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var iban = new string(candidate.Where(c => c != ' ').ToArray()).ToUpperInvariant();
        if (iban.Length is < 15 or > 34)
        {
            return false;
        }

        if (IbanLengths.TryGetValue(iban[..2], out var expected) && expected != iban.Length)
        {
            return false;
        }

        var remainder = 0;
        foreach (var c in iban[4..] + iban[..4])
        {
            var value = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetterUpper(c) ? c - 'A' + 10 : -1;
            if (value < 0)
            {
                return false;
            }

            remainder = value >= 10 ? ((remainder * 100) + value) % 97 : ((remainder * 10) + value) % 97;
        }

        return remainder == 1;
    }

    private static readonly Dictionary<string, int> IbanLengths = new(StringComparer.Ordinal)
    {
        ["AT"] = 20, ["BE"] = 16, ["CH"] = 21, ["CZ"] = 24, ["DE"] = 22, ["DK"] = 18, ["ES"] = 24, ["FI"] = 18, ["FR"] = 27,
        ["GB"] = 22, ["IE"] = 22, ["IT"] = 27, ["LU"] = 20, ["NL"] = 18, ["NO"] = 15, ["PL"] = 28, ["PT"] = 25, ["SE"] = 24,
    };

    [GeneratedRegex(@"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}(?![\w-])", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    // 13–19 digits, optionally in groups separated by single spaces or dashes, not inside a longer digit run, not after "+" (a phone).
    [GeneratedRegex(@"(?<![\d+-])\d(?:[ -]?\d){12,18}(?![\d])", RegexOptions.CultureInvariant)]
    private static partial Regex CardPattern();

    [GeneratedRegex(@"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex IbanPattern();

    // SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000. Dashed form only: bare 9-digit runs are too ambiguous.
    [GeneratedRegex(@"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])", RegexOptions.CultureInvariant)]
    private static partial Regex SsnPattern();

    [GeneratedRegex(@"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.]*\d)", RegexOptions.CultureInvariant)]
    private static partial Regex IpV4Pattern();

    [GeneratedRegex(@"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])", RegexOptions.CultureInvariant)]
    private static partial Regex IpV6Pattern();

    // E.164 (+ and 8–15 digits, separators allowed) or national forms starting with 0 or a (area) code: 0171 1234567,
    // (415) 555-0132, 415-555-0132, 020 7946 0958.
    [GeneratedRegex(@"(?<![\w+])(?:\+[1-9]\d{0,2}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,4}|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4}|0\d{2,4}[ /-]?\d{3,4}[ -]?\d{3,4})(?![\w])", RegexOptions.CultureInvariant)]
    private static partial Regex PhonePattern();
}
