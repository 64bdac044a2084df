using Amazon.CDK;
using Lethe.Cdk.Stacks;

namespace Lethe.Cdk;

/// <summary>Builds the two stacks for one stage. Used by Program (cdk synth/deploy) and by the cdk tests.</summary>
public static class LetheApp
{
    /// <summary>The AWS Lambda Web Adapter layer (x86_64) for us-east-1; override with context <c>webAdapterLayerArn</c>.</summary>
    public const string DefaultWebAdapterLayerArn = "arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:24";

    public static (StatefulStack Stateful, StatelessStack Stateless) Build(App app, string stage, StatelessSettings settings, IEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var props = new StackProps { Env = environment, Tags = new Dictionary<string, string> { ["lethe:stage"] = stage } };
        var stateful = new StatefulStack(app, $"Lethe-{stage}-Stateful", stage, props);
        var stateless = new StatelessStack(app, $"Lethe-{stage}-Stateless", stateful, settings, props);
        stateless.AddDependency(stateful);
        return (stateful, stateless);
    }

    public static string Context(App app, string key, string fallback)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Node.TryGetContext(key) is string value && value.Length > 0 ? value : fallback;
    }
}
