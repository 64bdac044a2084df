using Lethe.Domain.Ingest;

namespace Lethe.Domain.Tests.Ingest;

/// <summary>The rules of an upload request and of the object that lands for it.</summary>
public sealed class UploadRulesTests
{
    [Fact]
    public void A_valid_request_has_no_problem()
    {
        UploadRules.Validate("anna.berg", "transcript", "session 12.vtt", "text/vtt", 48_213).Should().BeEmpty();
    }

    [Fact]
    public void Every_bad_field_is_named()
    {
        var errors = UploadRules.Validate("bad id!", "Transcript", "../etc/passwd", "application/x-msdownload", 0);

        errors.Keys.Should().BeEquivalentTo("subjectId", "category", "fileName", "contentType", "sizeBytes");
    }

    [Theory]
    [InlineData("notes.txt", true)]
    [InlineData("Sitzung mit Ärztin.vtt", true)]
    [InlineData("a/b.txt", false)]
    [InlineData("a\\b.txt", false)]
    [InlineData("..", false)]
    [InlineData("   ", false)]
    [InlineData("evil\u202Etxt.exe", false)]
    [InlineData("line\nbreak.txt", false)]
    public void A_file_name_has_no_path_separator_or_hidden_character(string name, bool valid) => UploadRules.IsValidFileName(name).Should().Be(valid);

    [Fact]
    public void An_object_larger_than_the_limit_is_refused_before_upload()
    {
        UploadRules.Validate("anna", "transcript", "big.txt", "text/plain", UploadRules.MaxBytes + 1).Keys.Should().Equal("sizeBytes");
    }

    [Theory]
    [InlineData(100, "text/vtt", null)]
    [InlineData(100, "text/vtt; charset=utf-8", null)]
    [InlineData(101, "text/vtt", "the object has 101 bytes, not the 100 declared")]
    [InlineData(100, "application/zip", "the object is application/zip, not the text/vtt declared")]
    [InlineData(100, null, "the object is untyped, not the text/vtt declared")]
    public void A_landed_object_matches_only_its_declared_size_and_type(long size, string? type, string? mismatch) =>
        UploadRules.Mismatch(new UploadRequest("anna", "transcript", "s.vtt", "text/vtt", 100), size, type).Should().Be(mismatch);

    [Fact]
    public void Statuses_are_named_as_the_API_names_them()
    {
        Enum.GetValues<UploadStatus>().Select(UploadStatuses.Name).Should().Equal("pending", "scanning", "quarantined", "processing", "awaiting_review", "delivered", "failed");
        UploadStatuses.IsFinal(UploadStatus.Quarantined).Should().BeTrue();
        UploadStatuses.IsFinal(UploadStatus.AwaitingReview).Should().BeFalse();
    }
}
