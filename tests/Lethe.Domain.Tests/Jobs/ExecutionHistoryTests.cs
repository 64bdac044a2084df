using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Tests.Jobs;

public sealed class ExecutionHistoryTests
{
    private static Job JobAt(int execution) => new()
    {
        TenantId = "t1",
        Id = "job1",
        Type = JobType.Deletion,
        SubjectRef = "ref",
        RequestedBy = "officer",
        Status = JobStatus.Running,
        Phase = JobPhases.Purge,
        Execution = execution,
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public void A_job_shows_every_execution_from_its_first_up_to_its_current_one()
    {
        ExecutionHistory.Numbers(JobAt(3)).Should().Equal(1, 2, 3);
    }

    [Fact]
    public void A_job_retried_many_times_shows_only_its_last_ten_executions()
    {
        ExecutionHistory.Numbers(JobAt(14)).Should().Equal(Enumerable.Range(5, 10));
    }

    [Fact]
    public void A_lambda_error_payload_shows_its_message_without_the_stack_trace()
    {
        const string cause = "{\"errorType\":\"Lethe.Transient\",\"errorMessage\":\"The table throttled the page.\",\"stackTrace\":[\"at Lethe.Aws.X()\"]}";

        ExecutionHistory.CleanCause(cause).Should().Be("The table throttled the page.");
    }

    [Fact]
    public void A_message_that_carries_a_stack_trace_loses_it()
    {
        const string cause = "{\"errorMessage\":\"Item stuck on tape.\\n   at Lethe.Aws.Purge()\",\"errorType\":\"Lethe.Transient\"}";

        ExecutionHistory.CleanCause(cause).Should().Be("Item stuck on tape.");
    }

    [Fact]
    public void A_cause_of_step_functions_own_is_withheld_as_it_may_quote_state_input()
    {
        ExecutionHistory.CleanCause("The JSONPath '$.x' could not be found in the input '{\"subjectId\":\"anna\"}'").Should().BeNull();
    }

    [Fact]
    public void A_json_cause_without_a_message_is_withheld()
    {
        ExecutionHistory.CleanCause("{\"input\":{\"subjectId\":\"anna\"}}").Should().BeNull();
    }

    [Fact]
    public void A_long_message_is_cut_to_the_limit()
    {
        ExecutionHistory.CleanCause($"{{\"errorMessage\":\"{new string('x', 2000)}\"}}")!.Length.Should().Be(ExecutionHistory.MaxCauseLength);
    }

    [Fact]
    public void An_empty_cause_is_none()
    {
        ExecutionHistory.CleanCause("  ").Should().BeNull();
    }

    [Fact]
    public void A_failure_on_the_job_reads_as_the_error_name_and_its_message_without_the_stack_trace()
    {
        const string cause = "{\"errorMessage\":\"1 item(s) could not be erased after retries.\",\"errorType\":\"Lethe.ErasureIncomplete\",\"stackTrace\":[\"at Lethe.Domain.Erasure.Steps.ShredStep.RunAsync()\"]}";

        WorkflowDefinition.DefaultFailureMessage("Lethe.ErasureIncomplete", cause)
            .Should().Be("Lethe.ErasureIncomplete: 1 item(s) could not be erased after retries.");
    }
}
