using System.Text.Json;
using Amazon.CDK;
using Amazon.CDK.Assertions;
using Lethe.Cdk;
using Lethe.Cdk.Stacks;
using Lethe.Tests.Cdk;

[assembly: AssemblyFixture(typeof(SynthesizedApp))]

// The jsii runtime behind the CDK is one node process on one pipe and is not thread-safe: concurrent calls deadlock.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace Lethe.Tests.Cdk;

/// <summary>Synthesizes the app once per test run (jsii start-up is the slow part) into a cloud assembly on disk.</summary>
public sealed class SynthesizedApp : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"lethe-cdk-{Guid.NewGuid():N}");

    public SynthesizedApp()
    {
        var functions = Directory.CreateDirectory(Path.Combine(_root, "functions")).FullName;
        var api = Directory.CreateDirectory(Path.Combine(_root, "api")).FullName;
        File.WriteAllText(Path.Combine(functions, "bootstrap"), "placeholder");
        File.WriteAllText(Path.Combine(api, "bootstrap"), "placeholder");
        OutDir = Path.Combine(_root, "cdk.out");
        var app = new App(new AppProps { Outdir = OutDir });
        var (stateful, stateless) = LetheApp.Build(app, "test", new StatelessSettings(
            functions, api, LetheApp.DefaultWebAdapterLayerArn, "https://idp.example.com/", "lethe-api", "https://idp.example.com/.well-known/jwks.json", WorkflowsFolder),
            new Amazon.CDK.Environment { Account = "123456789012", Region = "us-east-1" });
        Stateful = Template.FromStack(stateful);
        Stateless = Template.FromStack(stateless);
        app.Synth();
        StatefulJson = JsonDocument.Parse(JsonSerializer.Serialize(Stateful.ToJSON())).RootElement.Clone();
        StatelessJson = JsonDocument.Parse(JsonSerializer.Serialize(Stateless.ToJSON())).RootElement.Clone();
    }

    public string OutDir { get; }

    /// <summary>The repository's workflows/ folder, found upwards from the test binaries.</summary>
    public static string WorkflowsFolder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "workflows", "deletion.asl.json")))
                {
                    return Path.Combine(dir.FullName, "workflows");
                }
            }

            throw new DirectoryNotFoundException("workflows/deletion.asl.json was not found above the test binaries.");
        }
    }

    public Template Stateful { get; }

    public Template Stateless { get; }

    public JsonElement StatefulJson { get; }

    public JsonElement StatelessJson { get; }

    public static IEnumerable<(string LogicalId, JsonElement Properties)> Resources(JsonElement template, string type) =>
        template.GetProperty("Resources").EnumerateObject()
            .Where(r => r.Value.GetProperty("Type").GetString() == type)
            .Select(r => (r.Name, r.Value.TryGetProperty("Properties", out var p) ? p : default));

    /// <summary>
    /// Every IAM policy of a template: the roles' inline default policies and the managed policies CDK moves statements into when
    /// a role's inline policy would pass IAM's size limit (<c>…ServiceRoleOverflowPolicy1…</c>), so no grant escapes a check.
    /// </summary>
    public static IEnumerable<(string LogicalId, JsonElement Properties)> Policies(JsonElement template) =>
        Resources(template, "AWS::IAM::Policy").Concat(Resources(template, "AWS::IAM::ManagedPolicy"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
