using Lethe.Domain.Jobs;
using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests.Requests;

public sealed class RequestSettingsTests
{
    [Fact]
    public void Omitted_request_settings_take_their_defaults()
    {
        var (settings, errors) = RequestSettings.Validate(null, null, null, null);

        errors.Should().BeEmpty();
        settings!.Approval.Should().Be(ApprovalPolicy.None);
        settings.PauseApprovalsOnFailure.Should().BeFalse();
        settings.RequestDeadline.TotalDays.Should().Be(30);
        settings.NotificationEmails.Should().BeEmpty();
    }

    [Theory]
    [InlineData("P29D")]
    [InlineData("P91D")]
    [InlineData("P4M")]
    [InlineData("30 days")]
    public void A_request_deadline_outside_one_to_three_months_is_refused_by_name(string deadline)
    {
        var (settings, errors) = RequestSettings.Validate("one", true, deadline, []);

        settings.Should().BeNull();
        errors.Keys.Should().Equal("requestDeadline");
    }

    [Fact]
    public void Malformed_repeated_or_too_many_addresses_are_each_named()
    {
        var (_, errors) = RequestSettings.Validate("four-eyes", null, "P90D", ["a@b.co", "A@B.CO", "no-at-sign", "two@@x.io", "line\nbreak@x.io"]);
        var (_, tooMany) = RequestSettings.Validate(null, null, null, [.. Enumerable.Range(0, 11).Select(i => $"p{i}@example.com")]);

        errors.Keys.Should().BeEquivalentTo(["notifications.emails[1]", "notifications.emails[2]", "notifications.emails[3]", "notifications.emails[4]"]);
        tooMany.Keys.Should().Equal("notifications.emails");
    }

    [Fact]
    public void An_unknown_approval_policy_is_refused()
    {
        RequestSettings.Validate("two-of-three", null, null, null).Errors.Keys.Should().Equal("approval");
    }
}

public sealed class JobOverdueTests
{
    private static readonly DateTimeOffset Deadline = new(2026, 12, 31, 0, 0, 0, TimeSpan.Zero);

    private static Job Request(JobStatus status, DateTimeOffset? completedAt = null) => new()
    {
        Id = "job_1", TenantId = "t", Type = JobType.Deletion, SubjectRef = "ref", Status = status, Phase = JobPhases.Validate,
        CreatedAt = Deadline.AddDays(-30), UpdatedAt = Deadline.AddDays(-30), CompletedAt = completedAt, Deadline = Deadline, RequestedBy = "admin",
    };

    [Theory]
    [InlineData(JobStatus.AwaitingApproval, true)]
    [InlineData(JobStatus.Queued, true)]
    [InlineData(JobStatus.Running, true)]
    [InlineData(JobStatus.Failed, true)]
    [InlineData(JobStatus.Cancelled, false)]
    [InlineData(JobStatus.Denied, false)]
    public void A_request_not_ended_by_its_deadline_is_overdue_unless_it_was_closed(JobStatus status, bool overdue)
    {
        Request(status).IsOverdue(Deadline.AddSeconds(1)).Should().Be(overdue);
        Request(status).IsOverdue(Deadline).Should().BeFalse("due at the deadline is not late yet");
    }

    [Fact]
    public void A_completed_request_is_overdue_only_if_it_completed_after_its_own_deadline()
    {
        Request(JobStatus.Completed, Deadline.AddMinutes(-1)).IsOverdue(Deadline.AddDays(9)).Should().BeFalse();
        Request(JobStatus.Completed, Deadline.AddMinutes(1)).IsOverdue(Deadline.AddDays(9)).Should().BeTrue();
    }

    [Fact]
    public void A_failed_request_may_be_closed_before_its_purge_but_not_after_it_started()
    {
        Request(JobStatus.Failed).IsCancellable.Should().BeTrue();
        (Request(JobStatus.Failed) with { Phase = JobPhases.Purge, PurgeStartedAt = Deadline }).IsCancellable.Should().BeFalse();
        Request(JobStatus.AwaitingApproval).IsCancellable.Should().BeTrue();
    }
}
