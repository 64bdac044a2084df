using Lethe.LocalCloud;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>DESIGN.md's time model: locally, the daily schedules fire on the scaled interval under <c>./lethe up</c>, never in tests.</summary>
public sealed class LocalCloudScheduleTests
{
    [Theory]
    [InlineData(1, 86_400)]
    [InlineData(24, 3_600)]
    [InlineData(8_640, 10)]
    [InlineData(1_000_000, 5)]
    public void The_daily_schedules_fire_every_day_divided_by_the_time_scale_and_never_more_often_than_every_five_seconds(int scale, int seconds)
    {
        new LocalCloudOptions { TimeScale = scale }.DailyScheduleInterval.Should().Be(TimeSpan.FromSeconds(seconds));
    }

    [Fact]
    public void A_local_cloud_runs_no_daily_schedule_unless_asked()
    {
        new LocalCloudOptions().RunDailySchedules.Should().BeFalse("tests start sweeps on demand");
    }
}
