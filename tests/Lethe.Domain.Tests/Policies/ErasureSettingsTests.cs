using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests.Policies;

public sealed class ErasureSettingsTests
{
    [Fact]
    public void An_invoice_category_may_be_masked_and_the_rest_deleted()
    {
        var (settings, errors) = ErasureSettings.Validate(new Dictionary<string, string?> { ["invoice"] = "mask", ["note"] = "delete" });

        errors.Should().BeEmpty();
        settings!.MaskedCategories.Should().Equal("invoice");
        settings.Categories["note"].Should().Be(ErasureStrategy.Delete);
    }

    [Fact]
    public void No_categories_means_every_record_is_deleted() =>
        ErasureSettings.Validate(new Dictionary<string, string?>()).Settings!.MaskedCategories.Should().BeEmpty();

    [Theory]
    [InlineData("transcript")]
    [InlineData("journal")]
    [InlineData("private_note")]
    [InlineData("insight")]
    public void A_category_of_the_person_s_own_words_may_not_be_masked(string category)
    {
        var (settings, errors) = ErasureSettings.Validate(new Dictionary<string, string?> { [category] = "mask" });

        settings.Should().BeNull();
        errors.Should().ContainKey($"categories.{category}");
    }

    [Fact]
    public void Every_bad_entry_is_named_and_nothing_is_accepted()
    {
        var (settings, errors) = ErasureSettings.Validate(new Dictionary<string, string?> { ["Invoice"] = "mask", ["receipt"] = "shred", ["order"] = null, ["invoice"] = "mask" });

        settings.Should().BeNull();
        errors.Keys.Should().BeEquivalentTo("categories.Invoice", "categories.receipt", "categories.order");
    }

    [Fact]
    public void A_missing_body_is_named_on_categories() =>
        ErasureSettings.Validate(null).Errors.Should().ContainKey("categories");

    [Fact]
    public void More_than_100_categories_are_refused() =>
        ErasureSettings.Validate(Enumerable.Range(0, 101).ToDictionary(i => $"c{i:D3}", _ => (string?)"mask")).Errors.Should().ContainKey("categories");
}
