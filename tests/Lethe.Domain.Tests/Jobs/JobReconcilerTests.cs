using System.Collections.Concurrent;
using Lethe.Domain.Audit;
using Lethe.Domain.Erasure;
using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Jobs;

public sealed class JobReconcilerTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryJobStore _jobs = new();
    private readonly InMemoryWorkflows _workflows = new();
    private readonly InMemoryJournal _journal = new();
    private readonly Erasure.InMemoryHolds _holds = new();
    private readonly Lethe.Domain.Tests.Notifications.RecordingNotifications _notices = new();

    private JobReconciler Reconciler => new(_jobs, _workflows, _journal, _clock, new HeldErasures(_jobs, _workflows, _holds, _clock), [ErasureWorkflow.Definition, ExportWorkflow.Definition], _notices);

    private Job Add(JobStatus status, string phase, int execution = 1)
    {
        var job = new Job
        {
            Id = Job.NewId(_clock.GetUtcNow()),
            TenantId = "acme",
            Type = JobType.Deletion,
            SubjectRef = "ref",
            Status = status,
            Phase = phase,
            CreatedAt = _clock.GetUtcNow(),
            UpdatedAt = _clock.GetUtcNow(),
            Execution = execution,
            RequestedBy = "app",
        };
        _jobs.Items[job.Id] = job;
        return job;
    }

    [Fact]
    public async Task A_queued_job_without_an_execution_is_started_once_its_grace_has_passed()
    {
        var job = Add(JobStatus.Queued, JobPhases.Validate);

        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(0, "its submitter may still be starting it");
        _clock.Advance(JobReconciler.StartGrace);
        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(1);

        _workflows.Started.Should().Equal($"{job.Id}-1");
        _jobs.Items[job.Id].ExecutionArn.Should().Be($"arn:{job.Id}-1");
    }

    [Fact]
    public async Task A_failed_execution_fails_its_open_job_and_says_so_in_the_audit()
    {
        var job = Add(JobStatus.Running, JobPhases.Purge);

        (await Reconciler.ApplyAsync("acme", $"{job.Id}-1", "FAILED", "States.Timeout", CancellationToken.None)).Should().BeTrue();

        _jobs.Items[job.Id].Status.Should().Be(JobStatus.Failed);
        _jobs.Items[job.Id].Errors.Should().ContainSingle().Which.Message.Should().Contain("States.Timeout");
        _journal.Events.Should().ContainSingle().Which.Outcome.Should().Be("failed");
    }

    [Fact]
    public async Task A_pass_fails_an_open_job_whose_started_execution_is_listed_as_failed()
    {
        var job = Add(JobStatus.Running, JobPhases.Purge) with { ExecutionArn = "arn:started" };
        _jobs.Items[job.Id] = job;
        _workflows.Ended[$"{job.Id}-1"] = "FAILED";

        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(1);

        _jobs.Items[job.Id].Status.Should().Be(JobStatus.Failed);
        _journal.Events.Should().ContainSingle().Which.Outcome.Should().Be("failed");
    }

    [Fact]
    public async Task A_pass_over_many_started_jobs_looks_up_no_execution_one_by_one()
    {
        var started = Enumerable.Range(0, 50).Select(_ => Add(JobStatus.Running, JobPhases.SoftDelete)).ToList();
        foreach (var job in started)
        {
            _jobs.Items[job.Id] = job with { ExecutionArn = $"arn:{job.Id}-1" };
        }

        var unstarted = Add(JobStatus.Queued, JobPhases.Validate);

        await Reconciler.ReconcileAsync(null, CancellationToken.None);

        _workflows.StatusLookups.Should().Be(1, "only the job with no execution ARN is looked up: the others' ended executions are listed");
        started.Should().OnlyContain(job => _jobs.Items[job.Id].Status == JobStatus.Running, "none of their executions ended");
        _jobs.Items[unstarted.Id].Status.Should().Be(JobStatus.Queued);
    }

    [Fact]
    public async Task A_pass_whose_listing_fails_looks_its_jobs_up_one_by_one_and_still_starts_a_queued_job()
    {
        var running = Add(JobStatus.Running, JobPhases.Purge) with { ExecutionArn = "arn:started" };
        _jobs.Items[running.Id] = running;
        _workflows.Ended[$"{running.Id}-1"] = "FAILED";
        _workflows.ListingFailure = new InvalidOperationException("ThrottlingException");
        var queued = Add(JobStatus.Queued, JobPhases.Validate);
        _clock.Advance(JobReconciler.StartGrace);

        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(2);

        _jobs.Items[running.Id].Status.Should().Be(JobStatus.Failed, "its execution was looked up on its own");
        _workflows.Started.Should().Equal($"{queued.Id}-1");
    }

    [Fact]
    public async Task A_pass_lists_each_job_types_ended_executions_back_to_its_oldest_open_job()
    {
        var oldest = Add(JobStatus.Running, JobPhases.SoftDelete) with { ExecutionArn = "arn:a" };
        _jobs.Items[oldest.Id] = oldest;
        _clock.Advance(TimeSpan.FromDays(2));
        var newer = Add(JobStatus.Running, JobPhases.SoftDelete) with { ExecutionArn = "arn:b" };
        _jobs.Items[newer.Id] = newer;
        var export = Add(JobStatus.Running, "collect") with { Type = JobType.Export, ExecutionArn = "arn:c" };
        _jobs.Items[export.Id] = export;

        await Reconciler.ReconcileAsync(null, CancellationToken.None);

        _workflows.Listings.Should().BeEquivalentTo(new[]
        {
            (JobType.Deletion, oldest.CreatedAt - JobReconciler.ListingSkew),
            (JobType.Export, export.CreatedAt - JobReconciler.ListingSkew),
        });
    }

    [Fact]
    public async Task A_job_whose_started_execution_Step_Functions_has_forgotten_fails_with_the_reason_instead_of_running_again_unseen()
    {
        var stale = Add(JobStatus.Running, JobPhases.Purge) with { ExecutionArn = "arn:forgotten" };
        _jobs.Items[stale.Id] = stale;
        _workflows.Forgotten.Add(stale.ExecutionName);
        _clock.Advance(TimeSpan.FromDays(91));
        var fresh = Add(JobStatus.Running, JobPhases.Purge) with { ExecutionArn = "arn:fresh" };
        _jobs.Items[fresh.Id] = fresh;

        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(1);

        _workflows.StatusLookups.Should().Be(1, "only the old job is looked up alone");
        _workflows.Listings.Should().ContainSingle().Which.Since.Should().Be(fresh.CreatedAt - JobReconciler.ListingSkew, "the listing no longer reaches back to the old job");
        _workflows.Started.Should().BeEmpty("a purge is not run again unseen");
        _jobs.Items[stale.Id].Status.Should().Be(JobStatus.Failed);
        _jobs.Items[stale.Id].Errors.Should().ContainSingle().Which.Message.Should().Contain("no longer known to Step Functions").And.Contain("retry");
        _journal.Events.Should().ContainSingle().Which.Details.GetProperty("executionStatus").GetString().Should().Be("FORGOTTEN");
        _notices.Sent.Should().ContainSingle();
        _jobs.Items[fresh.Id].Status.Should().Be(JobStatus.Running);
    }

    [Fact]
    public async Task A_long_running_execution_is_looked_up_alone_once_and_then_listed_again()
    {
        var waiting = Add(JobStatus.Running, JobPhases.Review) with { Type = JobType.Export, ExecutionArn = "arn:waiting" };
        _jobs.Items[waiting.Id] = waiting;
        _workflows.Started.Add(waiting.ExecutionName);
        _clock.Advance(TimeSpan.FromDays(86));

        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(0);
        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(0);

        _workflows.StatusLookups.Should().Be(1, "found running, it was marked seen: the second pass lists it");
        _jobs.Items[waiting.Id].ExecutionSeenAt.Should().Be(_clock.GetUtcNow());
        _jobs.Items[waiting.Id].Status.Should().Be(JobStatus.Running);
    }

    [Fact]
    public async Task A_pass_goes_on_past_a_job_whose_lookup_fails_and_then_reports_the_failure()
    {
        var old = Add(JobStatus.Running, JobPhases.Purge) with { ExecutionArn = "arn:old" };
        _jobs.Items[old.Id] = old;
        _workflows.FailingLookups.Add(old.ExecutionName);
        _clock.Advance(TimeSpan.FromDays(86));
        var queued = Add(JobStatus.Queued, JobPhases.Validate);
        _clock.Advance(JobReconciler.StartGrace);

        var pass = () => Reconciler.ReconcileAsync(null, CancellationToken.None);

        (await pass.Should().ThrowAsync<AggregateException>()).Which.InnerExceptions.Should().ContainSingle();
        _workflows.Started.Should().Equal($"{queued.Id}-1");
        _jobs.Items[old.Id].Status.Should().Be(JobStatus.Running, "its lookup failed: it waits for the next pass");
    }

    [Fact]
    public async Task A_failed_execution_tells_the_tenant_its_request_failed_once_with_ids_only()
    {
        var job = Add(JobStatus.Running, JobPhases.Purge);

        await Reconciler.ApplyAsync("acme", $"{job.Id}-1", "FAILED", "States.Timeout", CancellationToken.None);
        await Reconciler.ApplyAsync("acme", $"{job.Id}-1", "FAILED", "States.Timeout", CancellationToken.None);

        _notices.Sent.Should().ContainSingle().Which.Should().BeEquivalentTo(new { TenantId = "acme", Event = "request.failed", RequestId = job.Id });
    }

    [Theory]
    [InlineData(JobPhases.RecoveryWindow, JobStatus.Cancelled)]
    [InlineData(JobPhases.Purge, JobStatus.Failed)]
    public async Task A_stopped_execution_cancels_before_the_purge_and_fails_after(string phase, JobStatus expected)
    {
        var job = Add(JobStatus.Running, phase);

        await Reconciler.ApplyAsync("acme", $"{job.Id}-1", "ABORTED", null, CancellationToken.None);

        _jobs.Items[job.Id].Status.Should().Be(expected);
    }

    [Fact]
    public async Task An_earlier_execution_that_handed_over_does_not_speak_for_the_job()
    {
        var job = Add(JobStatus.Running, JobPhases.Purge, execution: 3);

        (await Reconciler.ApplyAsync("acme", $"{job.Id}-2", "FAILED", null, CancellationToken.None)).Should().BeFalse();

        _jobs.Items[job.Id].Status.Should().Be(JobStatus.Running);
    }

    [Fact]
    public async Task A_redrive_in_the_console_runs_a_failed_job_again_but_a_late_event_never_reopens_a_completed_one()
    {
        var failed = Add(JobStatus.Failed, JobPhases.Purge);
        var completed = Add(JobStatus.Completed, JobPhases.Done);

        await Reconciler.ApplyAsync("acme", $"{failed.Id}-1", "RUNNING", null, CancellationToken.None);
        await Reconciler.ApplyAsync("acme", $"{completed.Id}-1", "FAILED", null, CancellationToken.None);

        _jobs.Items[failed.Id].Status.Should().Be(JobStatus.Running);
        _jobs.Items[completed.Id].Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task A_held_erasure_whose_hold_was_released_meanwhile_is_resumed_in_its_next_execution()
    {
        var job = Add(JobStatus.Running, JobPhases.Held);
        await _jobs.TryUpdateAsync("acme", job.Id, new JobUpdate([JobStatus.Running], _clock.GetUtcNow()) { AcquireErasureLock = true }, CancellationToken.None);

        var changed = await Reconciler.ReconcileAsync(null, CancellationToken.None);

        changed.Should().Be(1);
        _workflows.Started.Should().Equal($"{job.Id}-2");
        _jobs.Items[job.Id].Phase.Should().Be(JobPhases.Purge);
    }

    [Fact]
    public async Task A_held_erasure_stays_held_while_its_hold_stands()
    {
        var job = Add(JobStatus.Running, JobPhases.Held);
        await _jobs.TryUpdateAsync("acme", job.Id, new JobUpdate([JobStatus.Running], _clock.GetUtcNow()) { AcquireErasureLock = true }, CancellationToken.None);
        _holds.HeldSubjects.Add("ref");

        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(0);
        (await Reconciler.ApplyAsync("acme", job.ExecutionName, "ABORTED", null, CancellationToken.None)).Should().BeFalse("the stop was the pause itself");

        _jobs.Items[job.Id].Status.Should().Be(JobStatus.Running);
        _workflows.Started.Should().BeEmpty();
    }

    [Fact]
    public async Task A_running_erasure_whose_next_execution_never_started_is_started_in_its_loop_after_the_grace()
    {
        var job = Add(JobStatus.Running, JobPhases.Purge, execution: 3);

        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(0, "its hand-over may still be starting it");
        _clock.Advance(JobReconciler.StartGrace);
        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(1);

        _workflows.Inputs.Should().ContainSingle().Which.Should().Be(new WorkflowInput("acme", job.Id, 3) { Resume = JobPhases.Purge });
    }

    [Fact]
    public async Task A_retried_erasure_whose_execution_never_started_is_started_from_the_beginning_after_the_grace()
    {
        // A retry before the purge takes the subject's lock and raises n; should its start fail, the lock must not stay taken.
        var job = Add(JobStatus.Running, JobPhases.Validate, execution: 2);

        _clock.Advance(JobReconciler.StartGrace);
        (await Reconciler.ReconcileAsync(null, CancellationToken.None)).Should().Be(1);

        _workflows.Inputs.Should().ContainSingle().Which.Should().Be(new WorkflowInput("acme", job.Id, 2));
    }

    private sealed class InMemoryJournal : IAuditJournal
    {
        public List<AuditEvent> Events { get; } = [];

        public Task AppendAsync(AuditEvent evt, CancellationToken cancellationToken)
        {
            if (Events.All(e => e.EventId != evt.EventId))
            {
                Events.Add(evt);
            }

            return Task.CompletedTask;
        }
    }
}
