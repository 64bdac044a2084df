using System.Diagnostics;

namespace Lethe.Tests.Cdk;

/// <summary>External validators over what we ship: cfn-lint on the synthesized templates, asl-validator on every ASL file.</summary>
public sealed class ToolChecksTests(SynthesizedApp synth)
{
    internal static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Serverless.sln not found above the test directory.");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root() };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Cfn_lint_finds_no_error_or_warning_in_the_synthesized_templates()
    {
        var templates = Directory.GetFiles(synth.OutDir, "*.template.json");
        templates.Should().HaveCount(2);

        // W3005 flags the DependsOn that CDK adds on purpose (a function waits for its role's policy to exist).
        var (exit, output) = await RunAsync("cfn-lint", ["--format", "parseable", "--ignore-checks", "W3005", "--", .. templates]);

        exit.Should().Be(0, output);
    }

    [Theory]
    [InlineData("--stage", "Bad_Stage")]
    [InlineData("--issuer", "https://idp.example.com/")]
    [InlineData("--jwks", "http://idp.example.com/jwks.json")]
    [InlineData("--colour", "blue")]
    public async Task Lethe_synth_refuses_bad_options_before_it_builds_anything(string option, string value)
    {
        var (exit, output) = await RunAsync("bash", [Path.Combine(Root(), "lethe"), "synth", option, value, "--out", Path.Combine(Path.GetTempPath(), "lethe-synth-refused")]);

        exit.Should().NotBe(0);
        output.Should().StartWith("lethe: synth:").And.NotContain("building");
        Directory.Exists(Path.Combine(Path.GetTempPath(), "lethe-synth-refused")).Should().BeFalse();
    }

    [Fact]
    public async Task Every_ASL_file_passes_asl_validator()
    {
        var root = Root();
        var files = Directory.GetFiles(Path.Combine(root, "workflows"), "*.asl.json")
            .Concat(Directory.GetFiles(Path.Combine(root, "tests"), "*.asl.json", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            .ToList();
        files.Should().NotBeEmpty();
        var validator = Path.Combine(root, "tools", "node", "node_modules", ".bin", "asl-validator");
        File.Exists(validator).Should().BeTrue("./lethe test installs tools/node (npm ci)");

        foreach (var file in files)
        {
            var (exit, output) = await RunAsync(validator, "--json-path", file);
            exit.Should().Be(0, $"{file}: {output}");
        }
    }
}
