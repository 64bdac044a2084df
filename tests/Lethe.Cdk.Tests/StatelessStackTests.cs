using System.Text.Json;
using Lethe.Catalog;

namespace Lethe.Tests.Cdk;

public sealed class StatelessStackTests(SynthesizedApp synth)
{
    private JsonElement Function(string logicalPrefix) =>
        SynthesizedApp.Resources(synth.StatelessJson, "AWS::Lambda::Function")
            .Single(f => f.LogicalId.StartsWith(logicalPrefix, StringComparison.Ordinal)).Properties;

    [Fact]
    public void Functions_run_the_one_AOT_binary_on_provided_al2023_with_the_handler_as_HANDLER()
    {
        var ping = Function("PingFunction");

        ping.GetProperty("Runtime").GetString().Should().Be("provided.al2023");
        ping.GetProperty("Handler").GetString().Should().Be("ping");
        ping.GetProperty("TracingConfig").GetProperty("Mode").GetString().Should().Be("Active");
    }

    [Fact]
    public void No_function_runs_from_a_memory_snapshot()
    {
        // Field envelopes draw DEKs and nonces from a per-thread block of random bytes (KeyMaterialRandom): a snapshot restored
        // into several instances would hand each the same keys and nonces. provided.al2023 has no SnapStart; hold both.
        var functions = new[] { synth.StatefulJson, synth.StatelessJson }
            .SelectMany(template => SynthesizedApp.Resources(template, "AWS::Lambda::Function"))
            .ToList();

        functions.Should().NotBeEmpty();
        functions.Where(f => f.Properties.TryGetProperty("SnapStart", out var _)).Select(f => f.LogicalId)
            .Should().BeEmpty("no function may be restored from a snapshot");
        functions.Where(f => f.Properties.TryGetProperty("Handler", out var h) && h.GetString() != "index.handler")
            .Select(f => (f.LogicalId, Runtime: f.Properties.GetProperty("Runtime").GetString()))
            .Should().NotBeEmpty().And.OnlyContain(f => f.Runtime == "provided.al2023");
    }

    [Fact]
    public void The_API_runs_behind_the_Lambda_Web_Adapter_with_JWKS_auth_and_an_HTTP_API_in_front()
    {
        var api = Function("ApiFunction");

        api.GetProperty("Layers")[0].GetString().Should().Contain(":layer:LambdaAdapterLayerX86:");
        var variables = api.GetProperty("Environment").GetProperty("Variables");
        variables.GetProperty("AWS_LAMBDA_EXEC_WRAPPER").GetString().Should().Be("/opt/bootstrap");
        variables.GetProperty("AWS_LWA_READINESS_CHECK_PATH").GetString().Should().Be("/health");
        variables.GetProperty("Lethe__Stage").GetString().Should().Be("aws");
        variables.GetProperty("Lethe__Auth__Mode").GetString().Should().Be("Jwks");
        variables.GetProperty("Lethe__Auth__JwksUrl").GetString().Should().StartWith("https://");
        synth.Stateless.ResourceCountIs("AWS::ApiGatewayV2::Api", 1);
    }

    [Fact]
    public void No_IAM_statement_grants_a_wildcard_data_action_or_a_data_action_on_every_resource()
    {
        var dataServices = new[] { "dynamodb:", "s3:", "kms:", "sqs:", "states:", "sns:" };
        var statements = SynthesizedApp.Policies(synth.StatelessJson)
            .SelectMany(p => p.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            .ToList();
        statements.Should().NotBeEmpty();

        foreach (var statement in statements)
        {
            var actions = Strings(statement.GetProperty("Action"));
            actions.Should().NotContain(a => a == "*" || a.EndsWith(":*", StringComparison.Ordinal), statement.GetRawText());
            var touchesData = actions.Any(a => dataServices.Any(s => a.StartsWith(s, StringComparison.Ordinal)));
            var resources = Strings(statement.GetProperty("Resource"));
            if (touchesData && resources.Contains("*"))
            {
                // Five actions have no resource to name in IAM and touch no data: dynamodb:ListStreams (stream ARNs; the stream
                // event source needs it), dynamodb:ListBackups (the backup scrub lists backups, never reads one), kms:CreateKey (a
                // new tenant key, its policy given in the same call), kms:ListAliases, and states:SendTaskSuccess (the task token
                // it carries is the capability: a connector's answer resumes the erasure waiting on it).
                actions.Should().BeSubsetOf(["dynamodb:ListStreams", "dynamodb:ListBackups", "kms:CreateKey", "kms:ListAliases", "states:SendTaskSuccess"], statement.GetRawText());
            }
        }
    }

    [Fact]
    public void Nobody_may_change_or_delete_audit_events_and_only_the_chainer_may_update()
    {
        var statements = SynthesizedApp.Policies(synth.StatelessJson)
            .SelectMany(p => p.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray()
                .Select(s => (Policy: p.LogicalId, Statement: s)))
            .Where(s => s.Statement.GetProperty("Resource").GetRawText().Contains("Audit", StringComparison.Ordinal)
                && !s.Statement.GetProperty("Resource").GetRawText().Contains("Stream", StringComparison.Ordinal))
            .ToList();

        statements.Should().NotBeEmpty();
        var actions = statements.SelectMany(s => Strings(s.Statement.GetProperty("Action")).Select(a => (s.Policy, Action: a))).ToList();
        actions.Should().NotContain(a => a.Action == "dynamodb:DeleteItem" || a.Action == "dynamodb:BatchWriteItem" || a.Action.StartsWith("dynamodb:*", StringComparison.Ordinal));
        actions.Where(a => a.Action == "dynamodb:UpdateItem").Should().OnlyContain(a => a.Policy.StartsWith("AuditChainer", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_the_notify_state_machine_may_publish_to_the_notifications_topic_and_its_failures_raise_an_alarm()
    {
        var publishers = SynthesizedApp.Policies(synth.StatelessJson)
            .Where(p => p.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray()
                .Any(s => Strings(s.GetProperty("Action")).Contains("sns:Publish")))
            .Select(p => p.LogicalId)
            .ToList();
        var alarm = SynthesizedApp.Resources(synth.StatelessJson, "AWS::CloudWatch::Alarm").Single(a => a.LogicalId.Contains("NoticesNotSent", StringComparison.Ordinal)).Properties;

        publishers.Should().ContainSingle().Which.Should().StartWith("NotifyStateMachineRole");
        alarm.GetProperty("MetricName").GetString().Should().Be("ExecutionsFailed");
        alarm.GetProperty("Threshold").GetDouble().Should().Be(1);
    }

    [Fact]
    public void A_daily_schedule_runs_the_overdue_check()
    {
        var rule = SynthesizedApp.Resources(synth.StatelessJson, "AWS::Events::Rule").Single(r => r.LogicalId.Contains("DailyOverdueCheck", StringComparison.Ordinal)).Properties;

        rule.GetProperty("ScheduleExpression").GetString().Should().StartWith("cron(0 6 * * ? *)");
        rule.GetProperty("Targets")[0].GetProperty("Arn").GetRawText().Should().Contain("RequestOverdueSchedule");
    }

    [Fact]
    public void A_daily_schedule_runs_the_audit_anchor_handler()
    {
        var rule = SynthesizedApp.Resources(synth.StatelessJson, "AWS::Events::Rule").Single(r => r.LogicalId.StartsWith("DailyAuditAnchor", StringComparison.Ordinal)).Properties;

        rule.GetProperty("ScheduleExpression").GetString().Should().StartWith("cron(15 2 * * ? *)");
        rule.GetProperty("Targets")[0].GetProperty("Arn").GetRawText().Should().Contain("AuditAnchorFunction");
        Function("AuditAnchorFunction").GetProperty("Handler").GetString().Should().Be("audit-anchor");
    }

    [Fact]
    public void The_ingest_consumer_takes_batches_of_ten_with_partial_failures_inside_the_queue_s_visibility_timeout()
    {
        var mapping = SynthesizedApp.Resources(synth.StatelessJson, "AWS::Lambda::EventSourceMapping")
            .Single(m => m.Properties.GetProperty("FunctionName").GetRawText().Contains("IngestReceive", StringComparison.Ordinal)).Properties;
        var receiver = Function("IngestReceiveFunction");

        mapping.GetProperty("BatchSize").GetInt32().Should().Be(10);
        mapping.GetProperty("FunctionResponseTypes").EnumerateArray().Select(t => t.GetString()).Should().Equal("ReportBatchItemFailures");
        receiver.GetProperty("Handler").GetString().Should().Be("ingest-receive");
        receiver.GetProperty("Timeout").GetInt32().Should().BeLessThan(ResourceCatalog.IngestQueue.VisibilityTimeoutSeconds);
        receiver.GetProperty("Environment").GetProperty("Variables").GetProperty(Variables.MalwareScanner).GetString().Should().Be("guardduty");
    }

    [Fact]
    public void A_message_in_the_ingest_dead_letter_queue_raises_an_alarm()
    {
        var alarm = SynthesizedApp.Resources(synth.StatelessJson, "AWS::CloudWatch::Alarm").Single(a => a.LogicalId.StartsWith("IngestDeadLetters", StringComparison.Ordinal)).Properties;

        alarm.GetProperty("MetricName").GetString().Should().Be("ApproximateNumberOfMessagesVisible");
        alarm.GetProperty("Threshold").GetDouble().Should().Be(1);
        alarm.GetProperty("Dimensions").GetRawText().Should().Contain(ResourceCatalog.IngestQueue.DeadLetterLogicalName);
    }

    [Fact]
    public void The_chainer_is_fed_journal_inserts_from_the_audit_tables_stream_one_batch_at_a_time()
    {
        var mapping = SynthesizedApp.Resources(synth.StatelessJson, "AWS::Lambda::EventSourceMapping")
            .Single(m => m.Properties.GetProperty("FunctionName").GetRawText().Contains("AuditChainer", StringComparison.Ordinal)).Properties;

        mapping.GetProperty("StartingPosition").GetString().Should().Be("TRIM_HORIZON");
        mapping.GetProperty("ParallelizationFactor").GetInt32().Should().Be(1);
        using var pattern = JsonDocument.Parse(mapping.GetProperty("FilterCriteria").GetProperty("Filters")[0].GetProperty("Pattern").GetString()!);
        pattern.RootElement.GetProperty("eventName")[0].GetString().Should().Be("INSERT", "the chainer's own writes do not invoke it");
        pattern.RootElement.GetProperty("dynamodb").GetProperty("Keys").GetProperty("sk").GetProperty("S")[0].GetProperty("prefix").GetString().Should().Be("EVENT#");
        Function("AuditChainerFunction").GetProperty("Handler").GetString().Should().Be("audit-chainer");
    }

    private static List<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Array => element.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToList(),
        _ => [element.GetRawText()],
    };
}
