using System.Text.Json;
using Lethe.Aws.StepFunctions;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>The proof that the chain works: our ASL on moto's Step Functions calls our handler through the gateway.</summary>
public sealed class ChainProofTests(LocalCloudFixture fixture)
{
    private static readonly string Definition = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Workflows", "chain-proof.asl.json"));

    private Task<string> DeployAsync() =>
        fixture.Cloud.DeployStateMachineAsync("lethe-it-chain-proof", Definition, null, TestContext.Current.CancellationToken);

    private static string Input(string key, int failTimes, bool invalid = false) =>
        JsonSerializer.Serialize(new { key, failTimes, invalid });

    [Fact]
    public async Task A_handler_that_fails_once_with_Lethe_Transient_is_retried_and_the_execution_succeeds()
    {
        var ct = TestContext.Current.CancellationToken;
        var machine = await DeployAsync();
        var key = Executions.UniqueName("retry");
        var sfn = fixture.Cloud.StepFunctions;

        var started = await sfn.StartExecutionAsync(new StartExecutionRequest(machine, key, Input(key, failTimes: 1)), ct);
        var done = await sfn.WaitUntilClosedAsync(started.ExecutionArn);

        done.Status.Should().Be("SUCCEEDED", done.Cause);
        using var output = JsonDocument.Parse(done.Output!);
        output.RootElement.GetProperty("outcome").GetString().Should().Be("recovered-after-retry");
        output.RootElement.GetProperty("step").GetProperty("attempts").GetInt32().Should().Be(2);
        output.RootElement.GetProperty("step").GetProperty("functionName").GetString().Should().Be("probe-flaky");
        output.RootElement.GetProperty("step").GetProperty("requestId").GetString().Should().NotBeNullOrEmpty();
        fixture.Probes.AttemptsFor(key).Should().Be(2);

        var history = await sfn.GetFullExecutionHistoryAsync(started.ExecutionArn, ct);
        var types = history.Select(e => e.Type).ToList();
        types.Should().ContainInOrder("ExecutionStarted", "TaskStateEntered", "TaskFailed", "TaskScheduled", "TaskSucceeded",
            "WaitStateEntered", "ChoiceStateEntered", "PassStateEntered", "SucceedStateEntered", "ExecutionSucceeded");
        types.Count(t => t == "TaskFailed").Should().Be(1);
        var failure = history.Single(e => e.Type == "TaskFailed").Details!["taskFailedEventDetails"];
        failure.GetProperty("error").GetString().Should().Be("Lethe.Transient");
    }

    [Fact]
    public async Task A_handler_that_succeeds_first_time_takes_the_Choice_default_branch()
    {
        var ct = TestContext.Current.CancellationToken;
        var machine = await DeployAsync();
        var key = Executions.UniqueName("first");

        var started = await fixture.Cloud.StepFunctions.StartExecutionAsync(new StartExecutionRequest(machine, key, Input(key, failTimes: 0)), ct);
        var done = await fixture.Cloud.StepFunctions.WaitUntilClosedAsync(started.ExecutionArn);

        done.Status.Should().Be("SUCCEEDED", done.Cause);
        using var output = JsonDocument.Parse(done.Output!);
        output.RootElement.GetProperty("outcome").GetString().Should().Be("first-time-right");
        fixture.Probes.AttemptsFor(key).Should().Be(1);
    }

    [Fact]
    public async Task A_typed_error_that_must_not_be_retried_is_caught_with_its_name_and_message()
    {
        var ct = TestContext.Current.CancellationToken;
        var machine = await DeployAsync();
        var key = Executions.UniqueName("reject");

        var started = await fixture.Cloud.StepFunctions.StartExecutionAsync(new StartExecutionRequest(machine, key, Input(key, failTimes: 0, invalid: true)), ct);
        var done = await fixture.Cloud.StepFunctions.WaitUntilClosedAsync(started.ExecutionArn);

        done.Status.Should().Be("SUCCEEDED", done.Cause);
        using var output = JsonDocument.Parse(done.Output!);
        output.RootElement.GetProperty("outcome").GetString().Should().Be("rejected");
        output.RootElement.GetProperty("error").GetProperty("Error").GetString().Should().Be("Lethe.InvalidInput");
        output.RootElement.GetProperty("error").GetProperty("Cause").GetString().Should().Contain("asked to reject its input");
        fixture.Probes.AttemptsFor(key).Should().Be(1, "Lethe.InvalidInput is not in the Retry list");
    }

    [Fact]
    public async Task Starting_the_same_execution_name_twice_gives_one_execution()
    {
        var ct = TestContext.Current.CancellationToken;
        var machine = await DeployAsync();
        var key = Executions.UniqueName("twice");
        var input = Input(key, failTimes: 0);
        var sfn = fixture.Cloud.StepFunctions;

        var first = await sfn.StartExecutionAsync(new StartExecutionRequest(machine, key, input), ct);
        var second = await sfn.StartExecutionAsync(new StartExecutionRequest(machine, key, input), ct);
        await sfn.WaitUntilClosedAsync(first.ExecutionArn);

        second.ExecutionArn.Should().Be(first.ExecutionArn);
        var listed = await sfn.ListExecutionsAsync(new ListExecutionsRequest(machine, MaxResults: 1000), ct);
        listed.Executions.Count(e => e.Name == key).Should().Be(1);
        fixture.Probes.AttemptsFor(key).Should().Be(1);
    }

    [Fact]
    public async Task Reusing_a_closed_execution_name_is_refused_with_a_typed_error()
    {
        var ct = TestContext.Current.CancellationToken;
        var machine = await DeployAsync();
        var key = Executions.UniqueName("reuse");
        var sfn = fixture.Cloud.StepFunctions;
        var first = await sfn.StartExecutionAsync(new StartExecutionRequest(machine, key, Input(key, 0)), ct);
        await sfn.WaitUntilClosedAsync(first.ExecutionArn);

        var again = () => sfn.StartExecutionAsync(new StartExecutionRequest(machine, key, Input(key, 5)), ct);

        await again.Should().ThrowAsync<ExecutionAlreadyExistsException>();
    }

    [Fact]
    public async Task Describing_an_unknown_execution_is_a_typed_error()
    {
        var machine = await DeployAsync();
        var unknown = machine.Replace(":stateMachine:", ":execution:", StringComparison.Ordinal) + ":does-not-exist";

        var describe = () => fixture.Cloud.StepFunctions.DescribeExecutionAsync(unknown, TestContext.Current.CancellationToken);

        await describe.Should().ThrowAsync<ExecutionDoesNotExistException>();
    }
}
