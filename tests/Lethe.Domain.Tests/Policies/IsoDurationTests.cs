using FsCheck;
using FsCheck.Fluent;
using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests.Policies;

public sealed class IsoDurationTests
{
    [Theory]
    [InlineData("P90D", 90)]
    [InlineData("P2Y", 730)]
    [InlineData("P7Y", 2555)]
    [InlineData("P1Y6M", 545)]
    [InlineData("P3W", 21)]
    [InlineData("P1Y2M3W4D", 365 + 60 + 21 + 4)]
    public void Parse_counts_years_as_365_and_months_as_30_days(string text, int days) =>
        IsoDuration.Parse(text).TotalDays.Should().Be(days);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("P")]
    [InlineData("90D")]
    [InlineData("P90")]
    [InlineData("PT12H")]
    [InlineData("P1D2Y")]
    [InlineData("P1Y1Y")]
    [InlineData("P-1D")]
    [InlineData("P1.5Y")]
    [InlineData("p90d")]
    [InlineData("P9999999D")]
    public void Try_parse_refuses_what_is_not_a_day_based_duration(string? text) =>
        IsoDuration.TryParse(text, out _).Should().BeFalse();

    [FsCheck.Xunit.Property]
    public Property ToString_ThenParse_GivesTheSameDuration() =>
        Prop.ForAll(Gen.Choose(0, 20).ToArbitrary(), Gen.Choose(0, 11).ToArbitrary(), Gen.Choose(0, 400).ToArbitrary(), (y, m, d) =>
        {
            var duration = new IsoDuration(y, m, 0, d);
            return IsoDuration.Parse(duration.ToString()).TotalDays == duration.TotalDays;
        });
}
