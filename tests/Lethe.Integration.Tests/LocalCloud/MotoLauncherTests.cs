using Lethe.Aws.StepFunctions;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>moto 5.2.1 fails every StartExecution after the first of a state machine unless our launcher patches it.</summary>
public sealed class MotoLauncherTests(LocalCloudFixture fixture)
{
    private const string PassThrough = """
        {"Comment":"Test-only pass-through.","StartAt":"Echo","States":{"Echo":{"Type":"Pass","Comment":"Returns its input.","End":true}}}
        """;

    [Fact]
    public void The_launcher_reports_whether_it_patched_the_installed_moto()
    {
        fixture.Cloud.MotoOutput.Should().MatchRegex("stepfunctions-patch=(applied|not needed)");
    }

    [Fact]
    public async Task Several_executions_of_several_state_machines_in_a_row_all_succeed()
    {
        var ct = TestContext.Current.CancellationToken;
        var sfn = fixture.Cloud.StepFunctions;
        var results = new List<string>();
        for (var machineIndex = 0; machineIndex < 3; machineIndex++)
        {
            var machine = await fixture.Cloud.DeployStateMachineAsync($"lethe-it-repeat-{machineIndex}", PassThrough, null, ct);
            for (var run = 0; run < 4; run++)
            {
                var name = Executions.UniqueName($"run{run}");
                var started = await sfn.StartExecutionAsync(new StartExecutionRequest(machine, name, $$"""{"run":{{run}}}"""), ct);
                var done = await sfn.WaitUntilClosedAsync(started.ExecutionArn);
                using var output = System.Text.Json.JsonDocument.Parse(done.Output!);
                output.RootElement.GetProperty("run").GetInt32().Should().Be(run);
                results.Add(done.Status);
            }
        }

        results.Should().HaveCount(12).And.OnlyContain(s => s == "SUCCEEDED");
    }
}
