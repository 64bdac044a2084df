using System.Reflection;
using System.Text.RegularExpressions;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Tests.Jobs.Workflow;

/// <summary>
/// The workflow kernel (Lethe.Domain.Jobs and Jobs.Workflow) knows no workflow: erasure, export and the request service build on
/// it, never the other way round, so a new workflow adds files without touching the kernel.
/// </summary>
public sealed partial class KernelBoundaryTests
{
    private static readonly string[] Workflows = ["Lethe.Domain.Erasure", "Lethe.Domain.Exports", "Lethe.Domain.Requests"];

    [GeneratedRegex(@"^\s*using\s+Lethe\.Domain\.(Erasure|Exports|Requests)\b|\b(Erasure|Exports|Requests)\.[A-Z]\w*", RegexOptions.Multiline)]
    private static partial Regex WorkflowReference();

    private static string KernelSources()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var kernel = Path.Combine(dir.FullName, "functions", "Lethe.Domain", "Jobs");
            if (Directory.Exists(kernel))
            {
                return kernel;
            }
        }

        throw new InvalidOperationException("functions/Lethe.Domain/Jobs not found above the test directory.");
    }

    [Fact]
    public void No_kernel_source_file_names_a_workflow_namespace()
    {
        var files = Directory.GetFiles(KernelSources(), "*.cs", SearchOption.AllDirectories);
        files.Should().NotBeEmpty();

        var offenders = files.Where(f => WorkflowReference().IsMatch(File.ReadAllText(f))).Select(Path.GetFileName).ToList();

        offenders.Should().BeEmpty("the kernel must not depend on the workflows built on it");
    }

    [Fact]
    public void No_kernel_type_exposes_a_workflow_type_in_its_signatures()
    {
        var kernelTypes = typeof(Job).Assembly.GetTypes()
            .Where(t => t.Namespace is "Lethe.Domain.Jobs" or "Lethe.Domain.Jobs.Workflow")
            .ToList();
        kernelTypes.Should().Contain(t => t.Name == "WorkflowStep`1");
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

        var used = kernelTypes.SelectMany(t => t.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType))
                .Concat(t.GetConstructors(all).SelectMany(c => c.GetParameters().Select(p => p.ParameterType)))
                .Concat(t.GetProperties(all).Select(p => p.PropertyType))
                .Concat(t.GetFields(all).Select(f => f.FieldType))
                .Select(type => (Kernel: t.FullName, Used: type)))
            .Where(u => Workflows.Any(w => Expand(u.Used).Any(x => x.Namespace?.StartsWith(w, StringComparison.Ordinal) == true)))
            .Select(u => $"{u.Kernel} → {u.Used}")
            .ToList();

        used.Should().BeEmpty();
    }

    private static IEnumerable<Type> Expand(Type type) =>
        type.IsGenericType ? type.GetGenericArguments().SelectMany(Expand).Append(type) : type.HasElementType ? Expand(type.GetElementType()!).Append(type) : [type];
}
