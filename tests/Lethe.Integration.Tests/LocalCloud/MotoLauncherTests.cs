using Lethe.Aws.StepFunctions;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>moto 5.2.1 fails every StartExecution after the first of a state machine, and drops some stops, unless our launcher patches it.</summary>
public sealed class MotoLauncherTests(LocalCloudFixture fixture)
{
    private const string PassThrough = """
        {"Comment":"Test-only pass-through.","StartAt":"Echo","States":{"Echo":{"Type":"Pass","Comment":"Returns its input.","End":true}}}
        """;

    [Fact]
    public void The_launcher_reports_whether_it_patched_the_installed_moto()
    {
        fixture.Cloud.MotoOutput.Should().MatchRegex("stepfunctions-patch=(applied|not needed)");
        fixture.Cloud.MotoOutput.Should().MatchRegex("stop-patch=(applied|not needed)");
        fixture.Cloud.MotoOutput.Should().MatchRegex("key-marker-patch=(applied|not needed)");
    }

    [Fact]
    public async Task A_version_listing_from_a_key_marker_alone_starts_with_the_first_key_after_it_as_S3_does()
    {
        var ct = TestContext.Current.CancellationToken;
        using var s3 = fixture.Cloud.CreateS3Client();
        var names = new Lethe.Aws.Configuration.ResourceNames(v => fixture.Cloud.Environment.TryGetValue(v, out var value) ? value : null);
        var bucket = names.Bucket(Lethe.Catalog.ResourceCatalog.Data);
        var prefix = $"key-marker-{Guid.NewGuid():N}/";
        foreach (var key in new[] { "a/f.txt", "b/f.txt", "c/f.txt" })
        {
            await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = prefix + key, ContentBody = key }, ct);
        }

        // A marker that is no key (the page's first key less one character, as the purge lists) and one that is a key.
        var between = await s3.ListVersionsAsync(new Amazon.S3.Model.ListVersionsRequest { BucketName = bucket, Prefix = prefix, KeyMarker = prefix + "b/f.tx" }, ct);
        var after = await s3.ListVersionsAsync(new Amazon.S3.Model.ListVersionsRequest { BucketName = bucket, Prefix = prefix, KeyMarker = prefix + "a/f.txt" }, ct);

        between.Versions.Select(v => v.Key[prefix.Length..]).Should().Equal("b/f.txt", "c/f.txt");
        after.Versions.Select(v => v.Key[prefix.Length..]).Should().Equal("b/f.txt", "c/f.txt");
    }

    [Fact]
    public async Task A_stop_as_an_execution_begins_or_enters_a_wait_aborts_it()
    {
        var patched = await RunStopProbeAsync("patched");

        patched.Should().HaveCount(2).And.OnlyContain(moment => moment.Value.Count == 1 && moment.Value["ABORTED"] == 4);
    }

    [Fact]
    public async Task Without_the_patch_the_stop_probe_sees_moto_leave_the_executions_running()
    {
        Assert.SkipUnless(fixture.Cloud.MotoOutput.Contains("stop-patch=applied", StringComparison.Ordinal), "The installed moto stops executions itself.");

        var stock = await RunStopProbeAsync("unpatched");

        stock.Should().HaveCount(2).And.OnlyContain(moment => moment.Value.ContainsKey("RUNNING"), "the probe must be able to see the bug it guards against");
    }

    /// <summary>Runs <c>wait_stop_probe.py</c> (moto in process) and returns, per moment, how many executions ended in which status.</summary>
    private static async Task<Dictionary<string, Dictionary<string, int>>> RunStopProbeAsync(string mode)
    {
        var ct = TestContext.Current.CancellationToken;
        var info = new System.Diagnostics.ProcessStartInfo(new Lethe.LocalCloud.LocalCloudOptions().Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "LocalCloud", "wait_stop_probe.py"));
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "moto", "moto_launcher.py"));
        info.ArgumentList.Add(mode);
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);

        process.ExitCode.Should().Be(0, await errors);
        using var result = System.Text.Json.JsonDocument.Parse(await output);
        return result.RootElement.GetProperty("moments").EnumerateObject().ToDictionary(
            moment => moment.Name,
            moment => moment.Value.EnumerateObject().ToDictionary(status => status.Name, status => status.Value.GetInt32()));
    }

    [Fact]
    public async Task Several_executions_of_several_state_machines_in_a_row_all_succeed()
    {
        var ct = TestContext.Current.CancellationToken;
        var sfn = fixture.Cloud.StepFunctions;
        var results = new List<string>();
        for (var machineIndex = 0; machineIndex < 3; machineIndex++)
        {
            var machine = await fixture.Cloud.DeployStateMachineAsync($"lethe-it-repeat-{machineIndex}", PassThrough, null, ct);
            for (var run = 0; run < 4; run++)
            {
                var name = Executions.UniqueName($"run{run}");
                var started = await sfn.StartExecutionAsync(new StartExecutionRequest(machine, name, $$"""{"run":{{run}}}"""), ct);
                var done = await sfn.WaitUntilClosedAsync(started.ExecutionArn);
                using var output = System.Text.Json.JsonDocument.Parse(done.Output!);
                output.RootElement.GetProperty("run").GetInt32().Should().Be(run);
                results.Add(done.Status);
            }
        }

        results.Should().HaveCount(12).And.OnlyContain(s => s == "SUCCEEDED");
    }
}
