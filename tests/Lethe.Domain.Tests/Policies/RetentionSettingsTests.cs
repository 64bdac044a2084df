using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests.Policies;

public sealed class RetentionSettingsTests
{
    [Fact]
    public void Validate_accepts_values_inside_the_bounds()
    {
        var (settings, errors) = RetentionSettings.Validate("P2Y", new Dictionary<string, string?> { ["transcript"] = "P1Y", ["journal"] = "P90D" });

        errors.Should().BeEmpty();
        settings!.For("transcript").TotalDays.Should().Be(365);
        settings.For("journal").TotalDays.Should().Be(90);
        settings.For("insight").TotalDays.Should().Be(730, "a category without its own value takes the default");
    }

    [Fact]
    public void Validate_names_every_bad_field_and_returns_no_settings()
    {
        var (settings, errors) = RetentionSettings.Validate("P89D", new Dictionary<string, string?>
        {
            ["transcript"] = "P8Y",
            ["journal"] = "two years",
            ["insight"] = "P1Y",
            ["Bad-Name"] = "P1Y",
            ["private_note"] = null,
        });

        settings.Should().BeNull();
        errors.Keys.Should().BeEquivalentTo(["default", "categories.transcript", "categories.journal", "categories.Bad-Name", "categories.private_note"]);
        errors["default"].Single().Should().Contain("minimum");
        errors["categories.transcript"].Single().Should().Contain("maximum");
    }

    [Fact]
    public void Validate_accepts_exactly_the_bounds() =>
        RetentionSettings.Validate("P90D", new Dictionary<string, string?> { ["journal"] = "P7Y" }).Errors.Should().BeEmpty();

    [Fact]
    public void Validate_without_a_default_keeps_the_policy_default() =>
        RetentionSettings.Validate(null, null).Settings!.Default.Should().Be(LifecyclePolicy.DefaultRetention);
}
