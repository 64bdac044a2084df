using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Policies;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;
using Lethe.Domain.Tests.Jobs;
using Lethe.Domain.Tests.Notifications;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Requests;

/// <summary>The approval policy and the overdue check over in-memory ports (the API's and the store's parts are integration-tested).</summary>
public sealed class RequestApprovalsTests
{
    private const string TenantId = "acme";
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryJobStore _jobs = new();
    private readonly InMemoryWorkflows _workflows = new();
    private readonly InMemoryHolds _holds = new();
    private readonly RecordingNotifications _notices = new();
    private readonly InMemoryEvidence _audit = new();

    private Tenant Tenant(ApprovalPolicy approval, bool pause = false) =>
        new(TenantId, "Acme", TenantState.Active, _clock.GetUtcNow(), 1) { Requests = RequestSettings.Default with { Approval = approval, PauseApprovalsOnFailure = pause } };

    private RequestService Requests => new(_jobs, _workflows, _holds, new InMemoryErasureInventory(), _clock, _notices);

    private RequestApprovals Approvals => new(_jobs, _workflows, _holds, _clock);

    private async Task<Job> SubmitAsync(Tenant tenant, string type = "deletion", string subjectRef = "ref-1", string submitter = "key-alice") =>
        ((Accepted)await Requests.SubmitAsync(tenant, subjectRef, new RequestSubmission(type, "alice", null, null), null, "alice", "tenant-admin", submitter, Ct)).Job;

    [Fact]
    public async Task A_request_under_a_policy_waits_without_an_execution_and_its_approvers_are_told()
    {
        var job = await SubmitAsync(Tenant(ApprovalPolicy.One));

        job.Status.Should().Be(JobStatus.AwaitingApproval);
        job.PurgeAt.Should().BeNull("the recovery window starts at the approval");
        job.Deadline.Should().Be(_clock.GetUtcNow().AddDays(30));
        _workflows.Started.Should().BeEmpty();
        _notices.Sent.Should().ContainSingle().Which.Event.Should().Be("request.awaiting-approval");
    }

    [Fact]
    public async Task The_submitter_cannot_approve_under_four_eyes_and_two_approvers_cannot_both_decide()
    {
        var tenant = Tenant(ApprovalPolicy.FourEyes);
        var job = await SubmitAsync(tenant);
        _clock.Advance(TimeSpan.FromDays(2));

        var own = await Approvals.ApproveAsync(tenant, job.Id, "alice", "key-alice", Ct);
        var first = await Approvals.ApproveAsync(tenant, job.Id, "bob", "key-bob", Ct);
        var second = await Approvals.ApproveAsync(tenant, job.Id, "carol", "key-carol", Ct);

        own.Outcome.Should().Be(ApprovalOutcome.FourEyes);
        first.Outcome.Should().Be(ApprovalOutcome.Done);
        first.Job!.PurgeAt.Should().Be(_clock.GetUtcNow() + LifecyclePolicy.RecoveryWindow);
        first.Job.Decision.Should().BeEquivalentTo(new { Approved = true, By = "bob" });
        second.Outcome.Should().Be(ApprovalOutcome.NotAwaiting);
        _workflows.Started.Should().Equal($"{job.Id}-1");
    }

    [Fact]
    public async Task A_later_lower_setting_does_not_lower_the_bar_for_a_request_already_waiting()
    {
        var job = await SubmitAsync(Tenant(ApprovalPolicy.FourEyes));

        var own = await Approvals.ApproveAsync(Tenant(ApprovalPolicy.One), job.Id, "alice", "key-alice", Ct);

        own.Outcome.Should().Be(ApprovalOutcome.FourEyes);
    }

    [Fact]
    public async Task Approvals_pause_while_a_request_is_failed_and_resume_once_it_is_closed()
    {
        var tenant = Tenant(ApprovalPolicy.One, pause: true);
        var failing = await SubmitAsync(tenant, "export", "ref-2");
        (await Approvals.ApproveAsync(tenant, failing.Id, "bob", "key-bob", Ct)).Outcome.Should().Be(ApprovalOutcome.Done);
        await _jobs.TryUpdateAsync(TenantId, failing.Id, JobTransitions.Fail(JobType.Export, "boom", _clock.GetUtcNow()), Ct);
        var waiting = await SubmitAsync(tenant, "deletion", "ref-3");

        var paused = await Approvals.ApproveAsync(tenant, waiting.Id, "bob", "key-bob", Ct);
        var (closed, _) = await Requests.CancelAsync(TenantId, failing.Id, Ct);
        var resumed = await Approvals.ApproveAsync(tenant, waiting.Id, "bob", "key-bob", Ct);

        paused.Outcome.Should().Be(ApprovalOutcome.Paused);
        paused.BlockingJobId.Should().Be(failing.Id);
        closed.Should().Be(JobChange.Done);
        resumed.Outcome.Should().Be(ApprovalOutcome.Done);
    }

    [Fact]
    public async Task An_erasure_whose_subject_came_under_a_hold_while_it_waited_does_not_start()
    {
        var tenant = Tenant(ApprovalPolicy.One);
        var job = await SubmitAsync(tenant);
        _holds.HeldSubjects.Add("ref-1");

        var result = await Approvals.ApproveAsync(tenant, job.Id, "bob", "key-bob", Ct);

        result.Outcome.Should().Be(ApprovalOutcome.Held);
        _jobs.Items[job.Id].Status.Should().Be(JobStatus.AwaitingApproval);
        _workflows.Started.Should().BeEmpty();
    }

    [Fact]
    public async Task A_denial_ends_the_request_and_frees_its_subject_and_a_cancel_that_lost_to_an_approval_changes_nothing()
    {
        var tenant = Tenant(ApprovalPolicy.One);
        var denied = await SubmitAsync(tenant);
        var read = _jobs.Items[denied.Id];

        var deny = await Approvals.DenyAsync(TenantId, denied.Id, "bob", "identity not verified", Ct);
        var next = await SubmitAsync(tenant);
        (await Approvals.ApproveAsync(tenant, next.Id, "bob", "key-bob", Ct)).Outcome.Should().Be(ApprovalOutcome.Done);
        var staleCancel = await _jobs.TryUpdateAsync(TenantId, next.Id, JobTransitions.CancelNow(_jobs.Items[next.Id] with { Status = JobStatus.AwaitingApproval }, _clock.GetUtcNow()), Ct);

        deny.Job!.Status.Should().Be(JobStatus.Denied);
        deny.Job.Decision!.Reason.Should().Be("identity not verified");
        read.Status.Should().Be(JobStatus.AwaitingApproval);
        next.Status.Should().Be(JobStatus.AwaitingApproval, "the denial released the subject's lock");
        staleCancel.Should().BeNull("a cancel read while the request waited does not cancel it once approved");
        _jobs.Items[next.Id].Status.Should().Be(JobStatus.Queued);
    }

    [Fact]
    public async Task A_request_completed_after_its_deadline_is_flagged_once_and_the_daily_check_flags_unfinished_ones_once()
    {
        var tenant = Tenant(ApprovalPolicy.One);
        var late = await SubmitAsync(tenant, "export", "ref-4");
        var done = await SubmitAsync(tenant, "export", "ref-5");
        _clock.Advance(TimeSpan.FromDays(31));
        var check = new OverdueRequests(_jobs, _notices, _audit, _clock);

        var first = await check.FlagAsync(TenantId, Ct);
        var second = await check.FlagAsync(TenantId, Ct);

        first.Should().Be(2);
        second.Should().Be(0);
        _notices.Sent.Where(n => n.Event == "request.overdue").Select(n => n.RequestId).Should().BeEquivalentTo([late.Id, done.Id]);
        _audit.Events.Values.Where(e => e.Action == "request.overdue").Should().HaveCount(2);
        _jobs.Items[late.Id].OverdueAt.Should().Be(_clock.GetUtcNow());
    }
}
