using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests.Policies;

public sealed class LifecyclePolicyTests
{
    [Fact]
    public void The_recovery_window_ends_one_purge_budget_before_the_30_day_hard_delete_deadline() =>
        (LifecyclePolicy.RecoveryWindow, LifecyclePolicy.RecoveryWindow + LifecyclePolicy.PurgeBudget)
            .Should().Be((TimeSpan.FromDays(29), TimeSpan.FromDays(30)));

    [Fact]
    public void Retention_bounds_are_90_days_to_7_years_with_2_years_by_default() =>
        (LifecyclePolicy.MinimumRetention.TotalDays, LifecyclePolicy.DefaultRetention.TotalDays, LifecyclePolicy.MaximumRetention.TotalDays)
            .Should().Be((90, 730, 2555));

    [Fact]
    public void A_time_scale_divides_a_policy_duration()
    {
        var requested = new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

        LifecyclePolicy.Deadline(requested, LifecyclePolicy.RecoveryWindow, timeScale: 86_400)
            .Should().Be(requested.AddSeconds(29), "29 days at 86,400× pass in 29 seconds");
        LifecyclePolicy.Deadline(requested, LifecyclePolicy.RecoveryWindow, timeScale: 1).Should().Be(requested.AddDays(29));
    }

    [Fact]
    public void A_time_scale_below_one_is_refused()
    {
        var scale = () => LifecyclePolicy.Scaled(TimeSpan.FromDays(1), 0);

        scale.Should().Throw<ArgumentOutOfRangeException>();
    }
}
