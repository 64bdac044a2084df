using Lethe.Domain.Jobs;

namespace Lethe.Domain.Tests.Jobs;

public sealed class JobProgressTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(200, 50, 0, 25)]
    [InlineData(200, 150, 50, 100)]
    [InlineData(3, 1, 0, 33)]
    public void Percent_CountsProcessedAndFailedItems(long total, long processed, long failed, int percent) =>
        new JobProgress(total, processed, failed).Percent.Should().Be(percent);

    [Fact]
    public void Eta_ExtrapolatesTheMeasuredRate()
    {
        var progress = new JobProgress(1000, 250, 0);

        progress.Eta(Start, Start.AddMinutes(10)).Should().Be(Start.AddMinutes(40));
    }

    [Fact]
    public void Eta_IsUnknownBeforeAnythingIsDoneAndAfterEverythingIs()
    {
        new JobProgress(1000, 0, 0).Eta(Start, Start.AddMinutes(1)).Should().BeNull();
        new JobProgress(10, 9, 1).Eta(Start, Start.AddMinutes(1)).Should().BeNull();
    }
}

public sealed class RequestSubmissionTests
{
    [Fact]
    public void The_same_export_with_and_without_the_default_format_has_one_fingerprint() =>
        new RequestSubmission("export", "anna", null, null).Fingerprint()
            .Should().Be(new RequestSubmission("export", "anna", null, "zip").Fingerprint());

    [Fact]
    public void Another_body_has_another_fingerprint() =>
        new RequestSubmission("deletion", "anna", "gdpr art. 17", null).Fingerprint()
            .Should().NotBe(new RequestSubmission("deletion", "anna", "another reason", null).Fingerprint());

    [Fact]
    public void The_fingerprint_is_the_SHA256_of_the_canonical_body() =>
        new RequestSubmission("export", "anna", null, null).Fingerprint()
            .Should().Be(Lethe.Domain.Audit.AuditChain.Sha256Hex("""{"format":"zip","subjectId":"anna","type":"export"}"""));

    [Theory]
    [InlineData(null, "anna", null, "type")]
    [InlineData("purge", "anna", null, "type")]
    [InlineData("deletion", "", null, "subjectId")]
    [InlineData("deletion", "anna", "zip", "format")]
    [InlineData("export", "anna", "pdf", "format")]
    public void Validate_NamesTheBadField(string? type, string? subject, string? format, string field) =>
        new RequestSubmission(type, subject, null, format).Validate().Keys.Should().Contain(field);

    [Fact]
    public void Validate_AcceptsAWellFormedExport() =>
        new RequestSubmission("export", "anna@example.com", "my copy", "csv").Validate().Should().BeEmpty();
}

public sealed class JobStatusTests
{
    [Theory]
    [InlineData(JobStatus.Queued, JobStatus.Running, true)]
    [InlineData(JobStatus.Running, JobStatus.Completed, true)]
    [InlineData(JobStatus.Completed, JobStatus.Running, false)]
    [InlineData(JobStatus.Cancelled, JobStatus.Running, false)]
    [InlineData(JobStatus.Completed, JobStatus.Failed, false)]
    [InlineData(JobStatus.Failed, JobStatus.Running, false)]
    public void Terminal_states_never_reopen(JobStatus from, JobStatus to, bool allowed) =>
        JobStatuses.CanMove(from, to).Should().Be(allowed);

    [Fact]
    public void A_failed_job_runs_again_only_through_retry() =>
        JobStatuses.CanMove(JobStatus.Failed, JobStatus.Running, retry: true).Should().BeTrue();
}
