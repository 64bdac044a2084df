using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Lethe.Domain.Classification;

namespace Lethe.Domain.Tests.Classification;

/// <summary>Valid identifiers are found wherever they stand in text; near-misses (one digit off, out of range) are not.</summary>
public sealed class PiiDetectorPropertyTests
{
    private static bool Finds(string text, PiiKind kind) => PiiDetector.Scan(text).Any(m => m.Kind == kind);

    private static Gen<string> DigitString(int length) => Gen.ArrayOf(Gen.Choose(0, 9), length).Select(d => string.Concat(d));

    private static char LuhnCheckDigit(string body)
    {
        for (var check = 0; check <= 9; check++)
        {
            if (PiiDetector.Luhn(body + check))
            {
                return (char)('0' + check);
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    private static readonly Gen<string> ValidCard =
        from length in Gen.Choose(13, 19)
        from first in Gen.Choose(1, 9)
        from rest in DigitString(length - 2)
        let body = first + rest
        select body + LuhnCheckDigit(body);

    private static string Grouped(string digits) => string.Join(' ', digits.Chunk(4).Select(c => new string(c)));

    private static string MutateOneDigit(string digits, int position, int delta)
    {
        var chars = digits.ToCharArray();
        var i = position % chars.Length;
        chars[i] = (char)('0' + ((chars[i] - '0' + delta) % 10));
        return new string(chars);
    }

    private static string Iban(string country, string bban)
    {
        static int Mod97(string s)
        {
            var r = 0;
            foreach (var c in s)
            {
                var v = char.IsAsciiDigit(c) ? c - '0' : c - 'A' + 10;
                r = v >= 10 ? ((r * 100) + v) % 97 : ((r * 10) + v) % 97;
            }

            return r;
        }

        var check = 98 - Mod97(bban + country + "00");
        return country + check.ToString("00", CultureInfo.InvariantCulture) + bban;
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property A_Luhn_valid_card_number_is_found_plain_or_grouped() =>
        Prop.ForAll(ValidCard.ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (card, grouped) =>
            Finds($"Card on file: {(grouped ? Grouped(card) : card)}, thanks.", PiiKind.PaymentCard));

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property A_card_number_with_one_digit_changed_is_not_a_card() =>
        Prop.ForAll(ValidCard.ToArbitrary(), Gen.Choose(0, 18).ToArbitrary(), Gen.Choose(1, 9).ToArbitrary(), (card, position, delta) =>
            !Finds($"ref {MutateOneDigit(card, position, delta)} end", PiiKind.PaymentCard));

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property A_valid_German_IBAN_is_found_and_one_changed_digit_is_not() =>
        Prop.ForAll(DigitString(18).ToArbitrary(), Gen.Choose(0, 17).ToArbitrary(), Gen.Choose(1, 9).ToArbitrary(), (bban, position, delta) =>
        {
            var iban = Iban("DE", bban);
            var broken = iban[..4] + MutateOneDigit(bban, position, delta);
            return Finds($"Pay to {iban} please", PiiKind.Iban)
                && Finds($"Pay to {Grouped(iban)} please", PiiKind.Iban)
                && !Finds($"Pay to {broken} please", PiiKind.Iban);
        });

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property An_email_address_is_found() =>
        Prop.ForAll(
            Gen.Elements("anna", "j.doe", "coach_7", "x+tag").ToArbitrary(),
            Gen.Elements("example", "mail-host", "uni").ToArbitrary(),
            Gen.Elements("com", "de", "co.uk", "io").ToArbitrary(),
            (local, domain, tld) => Finds($"Write to {local}@{domain}.{tld}.", PiiKind.Email));

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property An_E164_phone_number_is_found() =>
        Prop.ForAll(Gen.Choose(1, 9).ToArbitrary(), Gen.Choose(7, 13).SelectMany(DigitString).ToArbitrary(), (country, rest) =>
            Finds($"Call +{country}{rest} tomorrow", PiiKind.Phone));

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property A_US_SSN_is_found_only_with_a_valid_area_group_and_serial() =>
        Prop.ForAll(Gen.Choose(0, 999).ToArbitrary(), Gen.Choose(0, 99).ToArbitrary(), Gen.Choose(0, 9999).ToArbitrary(), (area, group, serial) =>
        {
            var ssn = string.Create(CultureInfo.InvariantCulture, $"{area:000}-{group:00}-{serial:0000}");
            var valid = area is not (0 or 666) && area < 900 && group != 0 && serial != 0;
            return Finds($"SSN {ssn}.", PiiKind.UsSsn) == valid;
        });

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property An_IPv4_address_is_found_only_when_every_octet_is_at_most_255() =>
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(0, 300), 4).ToArbitrary(), octets =>
            Finds($"from {string.Join('.', octets)} at noon", PiiKind.IpV4) == octets.All(o => o <= 255));
}

public sealed class PiiDetectorExampleTests
{
    [Theory]
    [InlineData("Reach me at (415) 555-0132.", PiiKind.Phone)]
    [InlineData("Mobil: 0171 1234567", PiiKind.Phone)]
    [InlineData("London office 020 7946 0958", PiiKind.Phone)]
    [InlineData("Server 2001:db8::8a2e:370:7334 answered", PiiKind.IpV6)]
    [InlineData("loopback ::1 and fe80::1", PiiKind.IpV6)]
    [InlineData("GB IBAN GB82 WEST 1234 5698 7654 32", PiiKind.Iban)]
    [InlineData("Visa 4111 1111 1111 1111 exp 12/29", PiiKind.PaymentCard)]
    public void Finds_common_written_forms(string text, PiiKind kind) =>
        PiiDetector.Scan(text).Select(m => m.Kind).Should().Contain(kind);

    [Theory]
    [InlineData("Session on 2026-11-25 at 10:30")]
    [InlineData("Release 1.2.3 and 10.0.401")]
    [InlineData("Build 1.2.3.4.5 passed")]
    [InlineData("Invoice 123456 of 3 items")]
    [InlineData("ratio 3:4:5 and time 12:30:45")]
    [InlineData("order #1234-5678")]
    public void Ignores_dates_versions_and_short_numbers(string text) =>
        PiiDetector.Scan(text).Should().BeEmpty();

    [Fact]
    public void Reports_where_each_match_stands()
    {
        var text = "mail anna@example.com now";

        var match = PiiDetector.Scan(text).Single();

        text.Substring(match.Start, match.Length).Should().Be("anna@example.com");
    }
}

public sealed class DataClassifierTests
{
    [Fact]
    public void A_transcript_is_restricted_whatever_it_says() =>
        DataClassifier.Classify("transcript", sensitive: false, ["Coach: hello"]).Level.Should().Be(ClassificationLevel.Restricted);

    [Fact]
    public void A_plain_record_without_personal_data_is_internal() =>
        DataClassifier.Classify("goal", sensitive: false, ["Run 5k by June"]).Should().BeEquivalentTo(
            new Lethe.Domain.Classification.Classification(ClassificationLevel.Internal, false, []));

    [Fact]
    public void Contact_data_makes_a_record_confidential_and_is_listed()
    {
        var result = DataClassifier.Classify("profile", sensitive: false, ["anna@example.com", "+49 171 1234567"]);

        result.Level.Should().Be(ClassificationLevel.Confidential);
        result.Pii.Should().Equal(PiiKind.Email, PiiKind.Phone);
    }

    [Fact]
    public void A_card_number_makes_a_record_restricted() =>
        DataClassifier.Classify("billing", sensitive: false, ["4111111111111111"]).Level.Should().Be(ClassificationLevel.Restricted);

    [Fact]
    public void Health_content_is_flagged_as_a_special_category_and_restricted()
    {
        var result = DataClassifier.Classify("goal", sensitive: false, ["Started a new medication for anxiety"]);

        result.SpecialCategory.Should().BeTrue();
        result.Level.Should().Be(ClassificationLevel.Restricted);
    }

    [Fact]
    public void The_sensitive_flag_makes_any_record_restricted() =>
        DataClassifier.Classify("goal", sensitive: true, ["nothing special"]).Level.Should().Be(ClassificationLevel.Restricted);
}
