using Lethe.Domain.Audit;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Tests.Erasure;

namespace Lethe.Domain.Tests.Jobs.Workflow;

/// <summary>RecordFailure (the kernel's RecordFailureStep, the Catch of every Task of every workflow).</summary>
public sealed class RecordFailureStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    [Fact]
    public async Task Record_failure_should_fail_the_erasure_with_its_error_release_the_subject_and_audit_once()
    {
        var state = await _h.ThroughTheWindowAsync();
        var failed = new FailedStep(ErasureHarness.Tenant, state.JobId, 1, "Lethe.Transient", LambdaCause("DynamoDB throttled after 6 attempts"));

        var recorded = await _h.Steps.RecordFailure.RunAsync(failed, Ct);
        await _h.Steps.RecordFailure.RunAsync(failed, Ct);

        recorded.JobStatus.Should().Be("failed");
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!;
        job.Status.Should().Be(JobStatus.Failed);
        job.Errors.Should().ContainSingle().Which.Message.Should().Be("Lethe.Transient: DynamoDB throttled after 6 attempts");
        (await _h.Jobs.OpenErasureAsync(ErasureHarness.Tenant, ErasureHarness.Subject, Ct)).Should().BeNull();
        _h.Evidence.Events.Values.Where(e => e.Action == "erasure.fail").Should().ContainSingle().Which.Outcome.Should().Be(AuditActions.Failure);
    }

    [Fact]
    public async Task Record_failure_tells_the_tenant_once_even_when_the_catch_runs_again()
    {
        var job = await _h.SubmitAsync();

        await _h.Steps.RecordFailure.RunAsync(new FailedStep(ErasureHarness.Tenant, job.Id, 1, "States.TaskFailed", "boom"), Ct);
        await _h.Steps.RecordFailure.RunAsync(new FailedStep(ErasureHarness.Tenant, job.Id, 1, "States.TaskFailed", "boom"), Ct);

        _h.Notices.Sent.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Event = "request.failed", RequestId = job.Id });
    }

    [Fact]
    public async Task Record_failure_when_the_subject_was_held_at_validate_should_say_nothing_was_deleted()
    {
        var job = await _h.SubmitAsync();

        await _h.Steps.RecordFailure.RunAsync(new FailedStep(ErasureHarness.Tenant, job.Id, 1, LegalHoldException.Name, "held"), Ct);

        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!.Errors.Should().ContainSingle()
            .Which.Message.Should().Be("The subject is under a legal hold: nothing was deleted.");
    }

    /// <summary>A Lambda function's error as Step Functions hands it to a Catch: its payload, stack trace included.</summary>
    private static string LambdaCause(string message) => System.Text.Json.JsonSerializer.Serialize(
        new Dictionary<string, object> { ["errorType"] = "Lethe.Transient", ["errorMessage"] = message, ["stackTrace"] = new[] { "at Lethe.Aws.Records.Put()" } });

    [Fact]
    public async Task Record_failure_when_the_cause_is_step_functions_own_should_name_the_error_and_withhold_the_cause()
    {
        var job = await _h.SubmitAsync();

        await _h.Steps.RecordFailure.RunAsync(new FailedStep(ErasureHarness.Tenant, job.Id, 1, "States.Runtime",
            "An error occurred while executing the state 'Purge'. The JSONPath '$.x' could not be found in the input '{\"subjectId\":\"anna\",\"TaskToken\":\"AAAA\"}'"), Ct);

        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!.Errors.Single().Message
            .Should().Be("States.Runtime: see the request's executions for details");
    }

    [Fact]
    public async Task Record_failure_when_the_cause_is_long_should_keep_only_its_first_500_characters()
    {
        var job = await _h.SubmitAsync();

        await _h.Steps.RecordFailure.RunAsync(new FailedStep(ErasureHarness.Tenant, job.Id, 1, "States.TaskFailed", LambdaCause(new string('x', 5_000))), Ct);

        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!.Errors.Single().Message.Should().HaveLength("States.TaskFailed: ".Length + 500);
    }

    [Fact]
    public async Task Record_failure_when_a_later_execution_owns_the_job_should_leave_it_running()
    {
        var state = await _h.ThroughTheWindowAsync();
        await _h.Jobs.TryUpdateAsync(ErasureHarness.Tenant, state.JobId, new JobUpdate([JobStatus.Running], _h.Clock.GetUtcNow()) { NextExecution = true }, Ct);

        var recorded = await _h.Steps.RecordFailure.RunAsync(new FailedStep(ErasureHarness.Tenant, state.JobId, 1, "States.TaskFailed", "late"), Ct);

        recorded.JobStatus.Should().Be("running");
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!.Status.Should().Be(JobStatus.Running);
    }

    [Fact]
    public async Task Record_failure_when_the_job_belongs_to_another_workflow_should_leave_it_alone()
    {
        var job = await _h.SubmitAsync();
        var exportFailure = new RecordFailureStep(Lethe.Domain.Exports.ExportWorkflow.Definition, _h.Jobs, _h.Evidence, _h.Clock, new Lethe.Domain.Tests.Notifications.RecordingNotifications());

        var recorded = await exportFailure.RunAsync(new FailedStep(ErasureHarness.Tenant, job.Id, 1, "States.TaskFailed", "wrong workflow"), Ct);

        recorded.JobStatus.Should().Be("unknown");
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, job.Id, Ct))!.Status.Should().Be(JobStatus.Queued);
    }
}
