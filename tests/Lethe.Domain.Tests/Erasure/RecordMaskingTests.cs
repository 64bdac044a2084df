using Lethe.Domain.Classification;
using Lethe.Domain.Erasure;
using Lethe.Domain.Records;

namespace Lethe.Domain.Tests.Erasure;

public sealed class RecordMaskingTests
{
    private static readonly StoredRecord Original = new(
        "rec_original", "t1", "ref-anna", "invoice", "staff_only", ClassificationLevel.Restricted, false, [PiiKind.Email, PiiKind.PaymentCard], true,
        new Dictionary<string, string>(), new Dictionary<string, byte[]>(), new DateTimeOffset(2026, 3, 4, 15, 16, 17, TimeSpan.Zero),
        new DateTimeOffset(2036, 3, 4, 15, 16, 17, TimeSpan.Zero), ItemState.SoftDeleted, "billing-app");

    [Theory]
    [InlineData("customerName", "Anna Berg")]
    [InlineData("billing_address", "Hauptstr. 1, Berlin")]
    [InlineData("delivery_address", "Hauptstr. 1, Berlin")]
    [InlineData("customer_city", "Berlin")]
    [InlineData("E-Mail", "anything at all")]
    [InlineData("dateOfBirth", "1990-01-01")]
    [InlineData("ip", "10.0.0.1")]
    [InlineData("taxId", "DE123456789")]
    [InlineData("serviceAddress", "Hauptstr. 1, Berlin")]
    [InlineData("courseParticipantName", "Anna Berg")]
    public void A_field_named_like_a_personal_identifier_is_erased_whatever_it_holds(string name, string value) =>
        RecordMasking.MaskValue(name, value, subjectId: null).Should().Be(RecordMasking.Erased);

    [Theory]
    [InlineData("productName")]
    [InlineData("item_description")]
    [InlineData("item_name")]
    [InlineData("amount")]
    public void A_field_of_the_business_is_not_taken_for_a_personal_identifier(string name) =>
        RecordMasking.IsIdentifierField(name).Should().BeFalse();

    [Fact]
    public void A_field_that_is_one_PII_value_is_erased_whole() =>
        RecordMasking.MaskValue("contact", "  +44 20 7946 0958 ", subjectId: null).Should().Be(RecordMasking.Erased);

    [Fact]
    public void Detected_PII_inside_other_text_is_redacted_and_the_rest_kept() =>
        RecordMasking.MaskValue("note", "Card 4111 1111 1111 1111 charged; IBAN DE89370400440532013000 refunded on 2026-03-05.", subjectId: null)
            .Should().Be("Card [erased] charged; IBAN [erased] refunded on 2026-03-05.");

    [Fact]
    public void The_subject_s_own_id_is_redacted_wherever_it_appears() =>
        RecordMasking.MaskValue("description", "Coaching package for ANNA.BERG (3 sessions)", subjectId: "anna.berg")
            .Should().Be("Coaching package for [erased] (3 sessions)");

    [Fact]
    public void A_numeric_subject_id_is_redacted_where_it_stands_alone_and_never_inside_an_amount_or_a_number() =>
        RecordMasking.MaskValue("description", "Customer 120 paid 120.00 EUR for INV-2026-0120.", subjectId: "120")
            .Should().Be("Customer [erased] paid 120.00 EUR for INV-2026-0120.");

    [Fact]
    public void A_distinctive_subject_id_is_redacted_even_inside_a_longer_reference() =>
        RecordMasking.MaskValue("reference", "INV-anna.berg_2026 for crm:ANNA.BERG", subjectId: "anna.berg").Should().Be("INV-[erased]_2026 for crm:[erased]");

    [Fact]
    public void A_subject_id_shorter_than_three_characters_is_not_looked_for_inside_text() =>
        RecordMasking.MaskValue("description", "Plan 42 renewed", subjectId: "42").Should().Be("Plan 42 renewed");

    [Fact]
    public void A_field_without_PII_is_kept_as_it_is() =>
        RecordMasking.MaskValue("amount", "120.00 EUR", subjectId: "anna").Should().Be("120.00 EUR");

    [Fact]
    public void The_copy_has_a_new_id_no_subject_no_encryption_the_masking_day_as_creation_and_never_a_shorter_retention()
    {
        var maskedAt = new DateTimeOffset(2026, 12, 3, 17, 5, 0, TimeSpan.Zero);

        var copy = RecordMasking.Mask("rec_copy", Original, new Dictionary<string, string> { ["email"] = "anna@example.com", ["amount"] = "120.00 EUR" }, "anna", maskedAt, TimeSpan.FromDays(1));

        (copy.Id, copy.SubjectRef, copy.Encrypted, copy.State, copy.CreatedBy).Should().Be(("rec_copy", string.Empty, false, ItemState.Active, RecordMasking.CreatedBy));
        copy.CreatedAt.Should().Be(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero), "the day of the masking, not the original's creation");
        copy.RetainUntil.Should().BeOnOrAfter(Original.RetainUntil).And.BeBefore(Original.RetainUntil.AddDays(30));
        (copy.RetainUntil.UtcTicks % TimeSpan.FromDays(30).Ticks).Should().Be(0, "its end sits on a 30-day grid, not on the original's creation day");
        copy.PlainFields.Should().BeEquivalentTo(new Dictionary<string, string> { ["email"] = "[erased]", ["amount"] = "120.00 EUR" });
        copy.Classification.Should().Be(ClassificationLevel.Internal);
        copy.Pii.Should().BeEmpty();
    }

    [Fact]
    public void Only_a_record_stored_in_the_clear_without_special_category_data_may_be_masked()
    {
        RecordMasking.MayMask(Original with { Encrypted = false, SpecialCategory = false }).Should().BeTrue();
        RecordMasking.MayMask(Original with { Encrypted = true }).Should().BeFalse("a sensitive record would be kept in the clear");
        RecordMasking.MayMask(Original with { Encrypted = false, SpecialCategory = true }).Should().BeFalse();
    }
}
