using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AwsApigatewayv2Integrations;
using Constructs;
using Lethe.Aws.Catalog;

namespace Lethe.Cdk.Stacks;

public sealed record StatelessSettings(string FunctionsAsset, string ApiAsset, string WebAdapterLayerArn, string JwtIssuer, string JwtAudience, string JwksUrl);

/// <summary>
/// Code: the one-binary Lambda functions (Native AOT, <c>provided.al2023</c>, <c>_HANDLER</c> per function) and the API
/// (Kestrel behind the Lambda Web Adapter, fronted by an HTTP API). Each function gets exactly the grants its step needs.
/// </summary>
public sealed class StatelessStack : Stack
{
    public StatelessStack(Construct scope, string id, StatefulStack state, StatelessSettings settings, IStackProps? props = null) : base(scope, id, props)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(settings);
        Ping = new Function(this, "PingFunction", new FunctionProps
        {
            Description = "Post-deployment smoke check: proves the binary starts and the handler registry resolves.",
            Runtime = Runtime.PROVIDED_AL2023,
            Architecture = Architecture.X86_64,
            Handler = "ping",
            Code = Code.FromAsset(settings.FunctionsAsset),
            MemorySize = 256,
            Timeout = Duration.Seconds(10),
            Tracing = Tracing.ACTIVE,
            LogGroup = ApplicationLogs("PingLogs"),
            Environment = new Dictionary<string, string>
            {
                ["POWERTOOLS_SERVICE_NAME"] = "lethe-ping",
                ["LETHE_STAGE"] = "aws",
            },
        });

        var apiEnvironment = new Dictionary<string, string>
        {
            ["AWS_LAMBDA_EXEC_WRAPPER"] = "/opt/bootstrap",
            ["AWS_LWA_PORT"] = "8080",
            ["AWS_LWA_READINESS_CHECK_PATH"] = "/health",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:8080",
            ["POWERTOOLS_SERVICE_NAME"] = "lethe-api",
            ["Lethe__Stage"] = "aws",
            ["Lethe__Auth__Mode"] = "Jwks",
            ["Lethe__Auth__Issuer"] = settings.JwtIssuer,
            ["Lethe__Auth__Audience"] = settings.JwtAudience,
            ["Lethe__Auth__JwksUrl"] = settings.JwksUrl,
            [ResourceCatalog.Tenants.NameVariable] = state.Tables[ResourceCatalog.Tenants.LogicalName].TableName,
        };
        Api = new Function(this, "ApiFunction", new FunctionProps
        {
            Description = "The Lethe HTTP API (ASP.NET Core, Native AOT) behind the AWS Lambda Web Adapter.",
            Runtime = Runtime.PROVIDED_AL2023,
            Architecture = Architecture.X86_64,
            Handler = "bootstrap",
            Code = Code.FromAsset(settings.ApiAsset),
            Layers = [LayerVersion.FromLayerVersionArn(this, "WebAdapterLayer", settings.WebAdapterLayerArn)],
            MemorySize = 512,
            Timeout = Duration.Seconds(29),
            Tracing = Tracing.ACTIVE,
            LogGroup = ApplicationLogs("ApiLogs"),
            Environment = apiEnvironment,
        });
        state.Tables[ResourceCatalog.Tenants.LogicalName].GrantReadWriteData(Api);

        HttpApi = new HttpApi(this, "HttpApi", new HttpApiProps
        {
            Description = "Lethe public API (v1)",
            DefaultIntegration = new HttpLambdaIntegration("ApiIntegration", Api),
        });
        _ = new CfnOutput(this, "ApiUrl", new CfnOutputProps { Value = HttpApi.Url ?? string.Empty });
    }

    public Function Ping { get; }

    /// <summary>Application logs are kept 90 days (the policy figure); an explicit log group, so no log-retention custom resource.</summary>
    private LogGroup ApplicationLogs(string id) => new(this, id, new LogGroupProps
    {
        Retention = RetentionDays.THREE_MONTHS,
        RemovalPolicy = RemovalPolicy.DESTROY,
    });

    public Function Api { get; }

    public HttpApi HttpApi { get; }
}
