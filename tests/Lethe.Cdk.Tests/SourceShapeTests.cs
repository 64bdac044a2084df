using System.Text.RegularExpressions;

namespace Lethe.Tests.Cdk;

/// <summary>House rules a reader relies on that no compiler checks, read from the sources of every shipped project.</summary>
public sealed partial class SourceShapeTests
{
    [GeneratedRegex(@"\bclass\s+(\w+)\s*:\s*(?:global::)?(?:System\.Text\.Json\.Serialization\.)?JsonSerializerContext\b")]
    private static partial Regex JsonContextDeclaration();

    [GeneratedRegex(@"\[(?:Fact|Theory)\b[^\n]*\]\s*(?:\[[^\n]*\]\s*)*public\s+(?:async\s+)?(?:Task|ValueTask|void)\s+(\w+)")]
    private static partial Regex TestMethod();

    /// <summary>The other style's marks: a PascalCase method name first (<c>PurgePage_…</c>) or a <c>When…</c> / <c>Should…</c> part.</summary>
    [GeneratedRegex(@"^[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*_|_(When|Should)[A-Z]")]
    private static partial Regex MethodWhenShouldName();

    private static IEnumerable<string> ProjectDirectories() =>
        new[] { "functions", "tools" }
            .SelectMany(folder => Directory.GetDirectories(Path.Combine(ToolChecksTests.Root(), folder)))
            .Where(dir => Directory.GetFiles(dir, "*.csproj").Length > 0);

    private static IEnumerable<string> Sources(string project) =>
        Directory.GetFiles(project, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void Every_shipped_assembly_declares_at_most_one_JsonSerializerContext()
    {
        var projects = ProjectDirectories().ToList();
        projects.Should().Contain(p => Path.GetFileName(p) == "Lethe.Aws", "the scan must see the projects it guards");

        var contexts = projects.ToDictionary(
            p => new DirectoryInfo(p).Name,
            p => Sources(p).SelectMany(f => JsonContextDeclaration().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToList());

        contexts["Lethe.Aws"].Should().Equal("AwsJsonContext");
        contexts.Where(c => c.Value.Count > 1).Should().BeEmpty("one source-generated context per assembly keeps every serialized shape in one list");
    }

    [Fact]
    public void Every_test_is_named_as_a_plain_sentence()
    {
        var tests = Directory.GetDirectories(Path.Combine(ToolChecksTests.Root(), "tests"))
            .SelectMany(Sources)
            .SelectMany(f => TestMethod().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToList();
        tests.Should().HaveCountGreaterThan(300, "the scan must see the suites it guards");

        tests.Where(name => MethodWhenShouldName().IsMatch(name)).Should().BeEmpty("one naming style reads the same in every suite");
    }
}
