using Lethe.Domain.Records;

namespace Lethe.Domain.Tests.Records;

public sealed class RestrictionRulesTests
{
    [Fact]
    public void A_restriction_with_its_ground_may_be_stored() =>
        RestrictionRules.Validate(true, "accuracy contested").Should().BeEmpty();

    [Fact]
    public void A_lift_needs_no_reason() =>
        RestrictionRules.Validate(false, null).Should().BeEmpty();

    [Theory]
    [InlineData(null)]
    [InlineData("   ")]
    public void A_restriction_without_a_ground_is_refused_on_the_reason(string? reason) =>
        RestrictionRules.Validate(true, reason).Should().ContainKey("reason").WhoseValue.Single().Should().Contain("ground");

    [Fact]
    public void A_request_that_does_not_say_which_way_is_refused_on_restricted() =>
        RestrictionRules.Validate(null, "accuracy contested").Should().ContainKey("restricted").And.HaveCount(1);

    [Fact]
    public void A_reason_longer_than_500_characters_is_refused() =>
        RestrictionRules.Validate(true, new string('x', RestrictionRules.MaxReasonLength + 1)).Should().ContainKey("reason");

    [Fact]
    public void A_reason_with_control_characters_is_refused() =>
        RestrictionRules.Validate(false, "line\u0000break").Should().ContainKey("reason");
}
