using System.Text.Json;

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
        var statements = SynthesizedApp.Resources(synth.StatelessJson, "AWS::IAM::Policy")
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
                // KMS CreateKey has no resource to name: it is allowed on "*" only with a condition that forces the tenant tag.
                actions.Should().BeSubsetOf(["kms:CreateKey", "kms:TagResource"], statement.GetRawText());
                statement.GetProperty("Condition").GetRawText().Should().Contain("aws:RequestTag/lethe:tenant");
            }
        }
    }

    [Fact]
    public void The_API_may_only_append_to_the_audit_journal()
    {
        var statements = SynthesizedApp.Resources(synth.StatelessJson, "AWS::IAM::Policy")
            .SelectMany(p => p.Properties.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            .Where(s => s.GetProperty("Resource").GetRawText().Contains("Audit", StringComparison.Ordinal))
            .ToList();

        statements.Should().NotBeEmpty();
        statements.SelectMany(s => Strings(s.GetProperty("Action"))).Distinct().Should().Equal("dynamodb:PutItem");
    }

    private static List<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Array => element.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToList(),
        _ => [element.GetRawText()],
    };
}
