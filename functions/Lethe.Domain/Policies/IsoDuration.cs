using System.Globalization;
using System.Text;

namespace Lethe.Domain.Policies;

/// <summary>
/// An ISO 8601 duration of whole days or larger units (<c>P90D</c>, <c>P2Y</c>, <c>P1Y6M</c>, <c>P3W</c>) as API.md uses them for
/// retention. For bounds and deadlines a year counts 365 days and a month 30 days (API.md), so every duration has one length
/// in days. Time parts (<c>PT…</c>) are refused: policy periods are days, not hours.
/// </summary>
public readonly record struct IsoDuration(int Years, int Months, int Weeks, int Days)
{
    public const int DaysPerYear = 365;
    public const int DaysPerMonth = 30;

    public int TotalDays => checked((Years * DaysPerYear) + (Months * DaysPerMonth) + (Weeks * 7) + Days);

    public TimeSpan ToTimeSpan() => TimeSpan.FromDays(TotalDays);

    public static IsoDuration FromDays(int days) => new(0, 0, 0, days);

    public static IsoDuration FromYears(int years) => new(years, 0, 0, 0);

    public static bool TryParse(string? text, out IsoDuration duration)
    {
        duration = default;
        if (string.IsNullOrEmpty(text) || text.Length > 32 || text[0] != 'P' || text.Length == 1)
        {
            return false;
        }

        int years = 0, months = 0, weeks = 0, days = 0;
        var order = "YMWD";
        var lastUnit = -1;
        var i = 1;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || i == text.Length || i - start > 6)
            {
                return false;
            }

            var unit = order.IndexOf(text[i], StringComparison.Ordinal);
            if (unit <= lastUnit)
            {
                return false;
            }

            var value = int.Parse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            switch (text[i])
            {
                case 'Y': years = value; break;
                case 'M': months = value; break;
                case 'W': weeks = value; break;
                default: days = value; break;
            }

            lastUnit = unit;
            i++;
        }

        duration = new IsoDuration(years, months, weeks, days);
        return true;
    }

    public static IsoDuration Parse(string text) =>
        TryParse(text, out var duration) ? duration : throw new FormatException($"'{text}' is not an ISO 8601 duration of days, weeks, months or years (for example P90D or P2Y).");

    public override string ToString()
    {
        if (TotalDays == 0)
        {
            return "P0D";
        }

        var text = new StringBuilder("P");
        if (Years > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Years}Y");
        }

        if (Months > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Months}M");
        }

        if (Weeks > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Weeks}W");
        }

        if (Days > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Days}D");
        }

        return text.ToString();
    }
}
