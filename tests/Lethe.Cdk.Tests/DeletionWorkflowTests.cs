using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lethe.Tests.Cdk;

/// <summary>The deletion and export workflows as deployed: the very ASL files, their functions, rules, and grants no wider than each step.</summary>
public sealed partial class DeletionWorkflowTests(SynthesizedApp synth)
{
    private static string AslFile(string workflow) => Path.Combine(SynthesizedApp.WorkflowsFolder, $"{workflow}.asl.json");

    private JsonElement StateMachine(string workflow) =>
        SynthesizedApp.Resources(synth.StatelessJson, "AWS::StepFunctions::StateMachine")
            .Single(m => m.Properties.GetProperty("StateMachineName").GetString() == $"lethe-test-{workflow}").Properties;

    private IEnumerable<(string LogicalId, JsonElement Properties)> Functions =>
        SynthesizedApp.Resources(synth.StatelessJson, "AWS::Lambda::Function");

    [Theory]
    [InlineData("deletion")]
    [InlineData("export")]
    public void The_state_machine_is_the_ASL_file_with_every_placeholder_substituted(string workflow)
    {
        var machine = StateMachine(workflow);
        var placeholders = Placeholder().Matches(File.ReadAllText(AslFile(workflow))).Select(m => m.Groups["name"].Value).ToHashSet();

        machine.GetProperty("StateMachineType").GetString().Should().Be("STANDARD");
        machine.GetProperty("DefinitionSubstitutions").EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(placeholders);
        using var asl = JsonDocument.Parse(File.ReadAllText(AslFile(workflow)));
        var definition = machine.GetProperty("DefinitionString").GetRawText();
        foreach (var state in asl.RootElement.GetProperty("States").EnumerateObject())
        {
            definition.Should().Contain(state.Name);
        }
    }

    [Theory]
    [InlineData("deletion")]
    [InlineData("export")]
    public void Every_Task_function_runs_the_one_binary_with_its_handler_name(string workflow)
    {
        var handlers = Placeholder().Matches(File.ReadAllText(AslFile(workflow)))
            .Select(m => m.Groups["name"].Value).Where(n => n.StartsWith("Function_", StringComparison.Ordinal))
            .Select(n => n["Function_".Length..].Replace('_', '-')).ToHashSet();
        var deployed = Functions.Select(f => f.Properties.GetProperty("Handler").GetString()!).ToHashSet();

        handlers.Should().NotBeEmpty().And.BeSubsetOf(deployed);
        foreach (var (_, function) in Functions.Where(f => handlers.Contains(f.Properties.GetProperty("Handler").GetString()!)))
        {
            function.GetProperty("Runtime").GetString().Should().Be("provided.al2023");
            function.GetProperty("Timeout").GetInt32().Should().BeLessThanOrEqualTo(900);
        }
    }

    [Fact]
    public void Execution_status_changes_reach_the_job_status_handler_and_schedules_reconcile_and_sweep()
    {
        var rules = SynthesizedApp.Resources(synth.StatelessJson, "AWS::Events::Rule").ToList();
        var status = rules.Single(r => r.LogicalId.Contains("ExecutionStatusChanged", StringComparison.Ordinal)).Properties;
        var pattern = status.GetProperty("EventPattern");

        pattern.GetProperty("source")[0].GetString().Should().Be("aws.states");
        pattern.GetProperty("detail-type")[0].GetString().Should().Be("Step Functions Execution Status Change");
        status.GetProperty("Targets")[0].GetProperty("Arn").GetRawText().Should().Contain("JobStatusFunction");
        var followed = pattern.GetProperty("detail").GetProperty("stateMachineArn").GetRawText();
        followed.Should().Contain("lethe-test-export", "export jobs follow their executions too").And.Contain("DeletionStateMachine");
        rules.Single(r => r.LogicalId.Contains("ReconcileJobs", StringComparison.Ordinal)).Properties.GetProperty("ScheduleExpression").GetString().Should().Be("rate(5 minutes)");
        rules.Single(r => r.LogicalId.Contains("DailySoftDeleteSweep", StringComparison.Ordinal)).Properties.GetProperty("Targets")[0].GetProperty("Arn").GetRawText()
            .Should().Contain("SoftDeleteSweepFunction");
    }

    [Fact]
    public void Only_the_purge_steps_may_delete_object_versions_and_only_the_shred_steps_may_delete_keys()
    {
        var statements = SynthesizedApp.Policies(synth.StatelessJson)
            .SelectMany(p => p.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray().Select(s => (Policy: p.LogicalId, Statement: s)))
            .ToList();

        var versionDeleters = statements.Where(s => Strings(s.Statement.GetProperty("Action")).Contains("s3:DeleteObjectVersion")).Select(s => s.Policy).ToHashSet();
        // The export package step deletes only a volume it completed after its subject's erasure purged it (ExportSteps); the
        // backup scrub deletes what is left of keys a certified erasure or retention run purged.
        versionDeleters.Should().OnlyContain(p => p.Contains("ErasurePurgePage", StringComparison.Ordinal) || p.Contains("RetentionPurgePage", StringComparison.Ordinal) || p.Contains("SoftDeleteSweep", StringComparison.Ordinal)
            || p.Contains("ExportPackage", StringComparison.Ordinal) || p.Contains("ScrubPage", StringComparison.Ordinal) || p.Contains("ReplayPage", StringComparison.Ordinal)
            || p.Contains("OffboardingPurgePage", StringComparison.Ordinal));
        versionDeleters.Should().HaveCount(7, "the replay deletes again what a restore brought back, the offboarding everything of its tenant");
        var keyDeleters = statements.Where(s => s.Statement.GetProperty("Resource").GetRawText().Contains("Keys", StringComparison.Ordinal)
            && Strings(s.Statement.GetProperty("Action")).Any(a => a is "dynamodb:DeleteItem" or "dynamodb:BatchWriteItem")).Select(s => s.Policy).ToHashSet();
        // The erasure's shred, the retention purge page's for a subject with nothing left, the replay's for a KEK a restore brought
        // back, and the offboarding's purge of a whole tenant (in batches).
        keyDeleters.Should().HaveCount(4).And.Contain(p => p.Contains("ErasureShred", StringComparison.Ordinal)).And.Contain(p => p.Contains("RetentionPurgePage", StringComparison.Ordinal))
            .And.Contain(p => p.Contains("ReplayPage", StringComparison.Ordinal)).And.Contain(p => p.Contains("OffboardingPurgePage", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_the_export_steps_may_write_the_exports_bucket_and_only_the_purge_steps_and_the_package_step_may_delete_from_it()
    {
        var statements = SynthesizedApp.Policies(synth.StatelessJson)
            .SelectMany(p => p.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray().Select(s => (Policy: p.LogicalId, Statement: s)))
            .Where(s => ExportsBucket().IsMatch(s.Statement.GetProperty("Resource").GetRawText()))
            .ToList();

        var writers = statements.Where(s => Strings(s.Statement.GetProperty("Action")).Any(a => a is "s3:PutObject" or "s3:PutObject*")).Select(s => s.Policy).ToHashSet();
        // The export package step, and the offboarding's export page (the tenant's final export).
        writers.Should().HaveCount(2).And.Contain(p => p.Contains("ExportPackage", StringComparison.Ordinal)).And.Contain(p => p.Contains("OffboardingExportPage", StringComparison.Ordinal));
        statements.Where(s => Strings(s.Statement.GetProperty("Action")).Any(a => a.StartsWith("s3:Delete", StringComparison.Ordinal))).Select(s => s.Policy)
            .Should().OnlyContain(p => p.Contains("ErasurePurgePage", StringComparison.Ordinal) || p.Contains("RetentionPurgePage", StringComparison.Ordinal) || p.Contains("SoftDeleteSweep", StringComparison.Ordinal)
                || p.Contains("ExportPackage", StringComparison.Ordinal) || p.Contains("ScrubPage", StringComparison.Ordinal) || p.Contains("ReplayPage", StringComparison.Ordinal)
                || p.Contains("OffboardingPurgePage", StringComparison.Ordinal))
            .And.HaveCount(7, "an export is a copy of the person's data: the erasure purge removes it, the package step a volume it finished after that purge, the backup scrub and the replay what is left of a purged one, the offboarding everything of its tenant");
    }

    [Fact]
    public void The_API_may_start_stop_and_describe_deletion_executions_and_resume_connector_waits_and_nothing_else_in_Step_Functions()
    {
        var api = SynthesizedApp.Policies(synth.StatelessJson).Single(p => p.LogicalId.StartsWith("ApiFunctionServiceRoleDefaultPolicy", StringComparison.Ordinal));
        var states = api.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray()
            .SelectMany(s => Strings(s.GetProperty("Action"))).Where(a => a.StartsWith("states:", StringComparison.Ordinal)).ToHashSet();

        states.Should().BeEquivalentTo(["states:StartExecution", "states:StopExecution", "states:DescribeExecution", "states:SendTaskSuccess"]);
    }

    private static List<string> Strings(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(v => v.GetString() ?? v.GetRawText()).ToList() : [value.GetString() ?? value.GetRawText()];

    /// <summary>The exports bucket as another stack imports it (<c>…ExportsOutputFnGetAttExports1A2B3CArn…</c>), not any cross-stack export.</summary>
    [GeneratedRegex(@"FnGetAttExports[0-9A-F]{8}Arn")]
    private static partial Regex ExportsBucket();

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z0-9_]+)\}")]
    private static partial Regex Placeholder();
}
