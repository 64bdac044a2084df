using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Lethe.Domain.Canonical;

namespace Lethe.Domain.Tests.Canonical;

/// <summary>RFC 8785's own examples, plus properties: canonical form is stable and order-independent.</summary>
public sealed class CanonicalJsonTests
{
    private static string Canonical(string json)
    {
        using var document = JsonDocument.Parse(json);
        return CanonicalJson.Serialize(document.RootElement);
    }

    [Fact]
    public void Serialize_matches_the_RFC_8785_example()
    {
        const string input = """{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}""";

        Canonical(input).Should().Be("""{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""");
    }

    [Fact]
    public void Serialize_sorts_members_by_UTF_16_code_units_as_the_RFC_example_does()
    {
        const string input = """{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}""";

        using var document = JsonDocument.Parse(Canonical(input));
        document.RootElement.EnumerateObject().Select(p => p.Value.GetString()).Should().Equal(
            "Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh");
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("-0", "0")]
    [InlineData("1E21", "1e+21")]
    [InlineData("1E20", "100000000000000000000")]
    [InlineData("1e-7", "1e-7")]
    [InlineData("1e-6", "0.000001")]
    [InlineData("123456789", "123456789")]
    [InlineData("-12.5", "-12.5")]
    [InlineData("9007199254740991", "9007199254740991")]
    [InlineData("5e-324", "5e-324")]
    [InlineData("1.7976931348623157e308", "1.7976931348623157e+308")]
    public void Format_number_writes_numbers_as_ECMAScript_does(string json, string expected) => Canonical(json).Should().Be(expected);

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Any_finite_double_survives_canonicalization_exactly() =>
        Prop.ForAll(ArbMap.Default.ArbFor<NormalFloat>(), value =>
            double.Parse(Canonical(JsonSerializer.Serialize(value.Get)), System.Globalization.CultureInfo.InvariantCulture) == value.Get);

    [FsCheck.Xunit.Property(MaxTest = 100)]
    public Property Member_order_of_the_input_does_not_change_the_output() =>
        Prop.ForAll(ArbMap.Default.ArbFor<Dictionary<string, int>>(), members =>
        {
            var forward = JsonSerializer.Serialize(members);
            var backward = JsonSerializer.Serialize(members.Reverse().ToDictionary(p => p.Key, p => p.Value));
            return Canonical(forward) == Canonical(backward) && Canonical(Canonical(forward)) == Canonical(forward);
        });
}
