using System.Text.RegularExpressions;
using Lethe.Catalog;

namespace Lethe.Tests.Cdk;

/// <summary>
/// Handler names are written once, in Lethe.Catalog: every ASL placeholder names a handler that is deployed as a function
/// with its grants, every workflow handler is named by its ASL, and cdk/ spells no handler name itself.
/// </summary>
public sealed partial class HandlerCatalogTests(SynthesizedApp synth)
{
    [GeneratedRegex(@"\$\{(Function_[a-z0-9_]+)\}")]
    private static partial Regex Placeholder();

    private static IEnumerable<(string Workflow, string Placeholder)> Placeholders() =>
        Directory.GetFiles(SynthesizedApp.WorkflowsFolder, "*.asl.json")
            .SelectMany(f => Placeholder().Matches(File.ReadAllText(f)).Select(m => (Path.GetFileName(f), m.Groups[1].Value)));

    private Dictionary<string, string> DeployedHandlers() =>
        SynthesizedApp.Resources(synth.StatelessJson, "AWS::Lambda::Function")
            .Where(f => f.Properties.TryGetProperty("Handler", out _))
            .ToDictionary(f => f.Properties.GetProperty("Handler").GetString()!, f => f.LogicalId, StringComparer.Ordinal);

    [Fact]
    public void Every_ASL_placeholder_names_a_catalog_handler_deployed_as_its_own_function()
    {
        var deployed = DeployedHandlers();
        var placeholders = Placeholders().ToList();
        placeholders.Should().NotBeEmpty();

        foreach (var (workflow, placeholder) in placeholders)
        {
            var handler = Handlers.FromPlaceholder(placeholder);
            handler.Should().NotBeNull($"{workflow} names {placeholder}");
            deployed.Should().ContainKey(handler!, $"{workflow} calls {placeholder}");
        }
    }

    [Fact]
    public void Every_workflow_handler_is_named_by_its_workflows_ASL_and_every_catalog_handler_is_deployed()
    {
        var named = Placeholders().Select(p => $"{p.Workflow} {Handlers.FromPlaceholder(p.Placeholder)}").ToHashSet(StringComparer.Ordinal);

        named.Should().Contain(Handlers.Deletion.Select(h => $"deletion.asl.json {h}"));
        named.Should().Contain(Handlers.Export.Select(h => $"export.asl.json {h}"));
        DeployedHandlers().Keys.Where(h => h != "bootstrap").Should().BeEquivalentTo(Handlers.All);
    }

    [Fact]
    public void Every_deployed_handler_has_a_role_policy_of_its_own()
    {
        var policies = SynthesizedApp.Policies(synth.StatelessJson).Select(p => p.LogicalId).ToList();

        foreach (var (handler, logicalId) in DeployedHandlers().Where(d => Handlers.All.Contains(d.Key)))
        {
            var name = logicalId[..logicalId.IndexOf("Function", StringComparison.Ordinal)];
            policies.Should().Contain(p => p.StartsWith(name, StringComparison.Ordinal), $"{handler} needs the grants of its step");
        }
    }

    [Fact]
    public void No_source_file_of_the_cdk_app_spells_a_handler_name()
    {
        var cdk = Path.Combine(SynthesizedApp.WorkflowsFolder, "..", "cdk");
        var offenders = Directory.GetFiles(cdk, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => Handlers.All.Where(h => File.ReadAllText(f).Contains($"\"{h}\"", StringComparison.Ordinal)).Select(h => $"{Path.GetFileName(f)}: \"{h}\""))
            .ToList();

        offenders.Should().BeEmpty();
    }
}
