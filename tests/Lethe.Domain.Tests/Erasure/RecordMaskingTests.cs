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
    [InlineData("E-Mail", "anything at all")]
    [InlineData("dateOfBirth", "1990-01-01")]
    public void A_field_named_like_a_personal_identifier_is_erased_whatever_it_holds(string name, string value) =>
        RecordMasking.MaskValue(name, value, subjectId: null).Should().Be(RecordMasking.Erased);

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
    public void A_field_without_PII_is_kept_as_it_is() =>
        RecordMasking.MaskValue("amount", "120.00 EUR", subjectId: "anna").Should().Be("120.00 EUR");

    [Fact]
    public void The_copy_has_a_new_id_no_subject_no_encryption_and_day_precise_times_never_shortening_retention()
    {
        var copy = RecordMasking.Mask("rec_copy", Original, new Dictionary<string, string> { ["email"] = "anna@example.com", ["amount"] = "120.00 EUR" }, "anna");

        (copy.Id, copy.SubjectRef, copy.Encrypted, copy.State, copy.CreatedBy).Should().Be(("rec_copy", string.Empty, false, ItemState.Active, RecordMasking.CreatedBy));
        copy.CreatedAt.Should().Be(new DateTimeOffset(2026, 3, 4, 0, 0, 0, TimeSpan.Zero));
        copy.RetainUntil.Should().Be(new DateTimeOffset(2036, 3, 5, 0, 0, 0, TimeSpan.Zero));
        copy.PlainFields.Should().BeEquivalentTo(new Dictionary<string, string> { ["email"] = "[erased]", ["amount"] = "120.00 EUR" });
        (copy.Pii, copy.Classification).Should().Be((copy.Pii, ClassificationLevel.Internal));
        copy.Pii.Should().BeEmpty();
    }
}
