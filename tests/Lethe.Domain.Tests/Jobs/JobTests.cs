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
    public void Percent_counts_processed_and_failed_items(long total, long processed, long failed, int percent) =>
        new JobProgress(total, processed, failed).Percent.Should().Be(percent);

    [Fact]
    public void Eta_extrapolates_the_measured_rate()
    {
        var progress = new JobProgress(1000, 250, 0);

        progress.Eta(Start, Start.AddMinutes(10)).Should().Be(Start.AddMinutes(40));
    }

    [Fact]
    public void Eta_is_unknown_before_anything_is_done_and_after_everything_is()
    {
        new JobProgress(1000, 0, 0).Eta(Start, Start.AddMinutes(1)).Should().BeNull();
        new JobProgress(10, 9, 1).Eta(Start, Start.AddMinutes(1)).Should().BeNull();
    }
}

public sealed class RequestSubmissionTests
{
    private static readonly Lethe.Domain.Crypto.SubjectKek Secret = new("ref-key", Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void The_same_export_with_and_without_the_default_format_has_one_fingerprint() =>
        new RequestSubmission("export", "anna", null, null).Fingerprint(Secret)
            .Should().Be(new RequestSubmission("export", "anna", null, "zip").Fingerprint(Secret));

    [Fact]
    public void Another_body_has_another_fingerprint() =>
        new RequestSubmission("deletion", "anna", "gdpr art. 17", null).Fingerprint(Secret)
            .Should().NotBe(new RequestSubmission("deletion", "anna", "another reason", null).Fingerprint(Secret));

    [Fact]
    public void The_canonical_body_is_RFC_8785_with_defaults_applied() =>
        new RequestSubmission("export", "anna", null, null).CanonicalBody().Should().Be("""{"format":"zip","subjectId":"anna","type":"export"}""");

    [Fact]
    public void The_fingerprint_is_keyed_so_hashing_candidate_bodies_does_not_reveal_the_subject() =>
        new RequestSubmission("export", "anna", null, null).Fingerprint(Secret)
            .Should().NotBe(Lethe.Domain.Audit.AuditChain.Sha256Hex("""{"format":"zip","subjectId":"anna","type":"export"}"""));

    [Fact]
    public void The_same_key_from_two_callers_is_two_reservations() =>
        IdempotencyKeys.Hash(Secret, "app-a", "key-1").Should().NotBe(IdempotencyKeys.Hash(Secret, "app-b", "key-1"));

    [Theory]
    [InlineData(null, "anna", null, "type")]
    [InlineData("purge", "anna", null, "type")]
    [InlineData("deletion", "", null, "subjectId")]
    [InlineData("deletion", "anna", "zip", "format")]
    [InlineData("export", "anna", "docx", "format")]
    public void Validate_names_the_bad_field(string? type, string? subject, string? format, string field) =>
        new RequestSubmission(type, subject, null, format).Validate().Keys.Should().Contain(field);

    [Fact]
    public void Validate_accepts_a_well_formed_export() =>
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

public sealed class JobViewTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    private static Job Job(JobStatus status, string phase, ErasureCounts counts) => new()
    {
        Id = "job_1",
        TenantId = "acme",
        Type = JobType.Deletion,
        SubjectRef = "ref",
        Status = status,
        Phase = phase,
        Counts = counts,
        CreatedAt = At,
        UpdatedAt = At,
        PhaseStartedAt = At,
        RequestedBy = "app",
    };

    [Fact]
    public void Progress_counts_the_current_phase_soft_delete_of_all_items_then_purge_of_what_was_not_restored()
    {
        var counts = new ErasureCounts(Total: 10, SoftDeleted: 10, Purged: 6, Failed: 0, Restored: 2, Held: 0);

        Job(JobStatus.Running, JobPhases.RecoveryWindow, counts).Progress.Percent.Should().Be(100);
        Job(JobStatus.Running, JobPhases.Purge, counts).Progress.Should().Be(new JobProgress(8, 6, 0));
        Job(JobStatus.Running, JobPhases.Purge, counts).Progress.Percent.Should().Be(75);
    }

    [Theory]
    [InlineData(JobStatus.Running, JobPhases.RecoveryWindow, true)]
    [InlineData(JobStatus.Queued, JobPhases.Validate, true)]
    [InlineData(JobStatus.Running, JobPhases.Purge, false)]
    [InlineData(JobStatus.Completed, JobPhases.Done, false)]
    public void Cancel_is_possible_only_while_open_and_before_the_purge(JobStatus status, string phase, bool cancellable) =>
        Job(status, phase, ErasureCounts.None).IsCancellable.Should().Be(cancellable);

    [Fact]
    public void The_eta_extrapolates_the_rate_of_the_current_phase_and_is_gone_once_closed()
    {
        var counts = new ErasureCounts(100, 100, 25, 0, 0, 0);

        Job(JobStatus.Running, JobPhases.Purge, counts).Eta(At.AddMinutes(1)).Should().Be(At.AddMinutes(4));
        Job(JobStatus.Failed, JobPhases.Purge, counts).Eta(At.AddMinutes(1)).Should().BeNull();
    }

    [Fact]
    public void An_exports_progress_is_the_items_packaged_of_those_collected_with_an_eta_while_packaging()
    {
        var export = Job(JobStatus.Running, JobPhases.Package, new ErasureCounts(40, 0, 0, 0, 0, 0)) with { Type = JobType.Export, Exported = 10 };

        export.Progress.Should().Be(new JobProgress(40, 10, 0));
        export.Eta(At.AddMinutes(1)).Should().Be(At.AddMinutes(4));
    }

    [Theory]
    [InlineData(JobStatus.Running, JobPhases.Package, true)]
    [InlineData(JobStatus.Queued, JobPhases.Validate, true)]
    [InlineData(JobStatus.Completed, JobPhases.Done, false)]
    [InlineData(JobStatus.Cancelled, JobPhases.Package, false)]
    public void An_export_is_cancellable_in_any_phase_while_it_is_open(JobStatus status, string phase, bool cancellable) =>
        (Job(status, phase, ErasureCounts.None) with { Type = JobType.Export }).IsCancellable.Should().Be(cancellable);

    [Theory]
    [InlineData("deletion", JobType.Deletion, "deletion")]
    [InlineData("export", JobType.Export, "export")]
    [InlineData("audit-export", JobType.AuditExport, "export")]
    public void Job_types_have_one_name_and_audit_exports_share_the_export_workflow(string name, JobType type, string workflow)
    {
        JobTypes.Parse(name).Should().Be(type);
        JobTypes.Name(type).Should().Be(name);
        JobTypes.Workflow(type).Should().Be(workflow);
    }

    [Fact]
    public void Execution_names_are_the_job_id_and_the_attempt()
    {
        Job(JobStatus.Queued, JobPhases.Validate, ErasureCounts.None).ExecutionName.Should().Be("job_1-1");
        Lethe.Domain.Jobs.Job.NewId(At).Should().MatchRegex("^job_[0-9a-f]{12}[0-9a-f]{16}$");
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("order-2026-11-25/7", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    public void Idempotency_keys_are_printable_ascii_without_spaces(string key, bool valid) => IdempotencyKeys.IsValid(key).Should().Be(valid);
}
