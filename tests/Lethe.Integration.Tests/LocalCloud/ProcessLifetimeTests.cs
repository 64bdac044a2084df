using System.Diagnostics;
using System.Text.RegularExpressions;
using Lethe.LocalCloud;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>No moto process outlives the local cloud: not on a clean stop, not when its host is killed outright.</summary>
public sealed partial class ProcessLifetimeTests
{
    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> ExitsWithinAsync(int pid, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (!IsAlive(pid))
            {
                return true;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return !IsAlive(pid);
    }

    [Fact]
    public async Task Disposing_the_local_cloud_stops_its_moto_process()
    {
        var cloud = await LocalCloudHost.StartAsync(new LocalCloudOptions { ResourcePrefix = "lethe-it-stop" }, cancellationToken: TestContext.Current.CancellationToken);
        var moto = cloud.MotoProcessId;
        IsAlive(moto).Should().BeTrue();

        await cloud.DisposeAsync();

        (await ExitsWithinAsync(moto, TimeSpan.FromSeconds(10))).Should().BeTrue();
    }

    [Fact]
    public async Task Killing_the_host_process_with_SIGKILL_leaves_no_moto_behind()
    {
        var root = RepositoryLayout.FindRoot()!;
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var cli = Path.Combine(root, "tools", "Lethe.Cli", "bin", configuration, "net10.0", "Lethe.Cli.dll");
        File.Exists(cli).Should().BeTrue($"the CLI is built with the solution ({cli})");
        var apiPort = Lethe.LocalCloud.Moto.MotoServer.FreePort();
        var awsPort = Lethe.LocalCloud.Moto.MotoServer.FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = root };
        foreach (var arg in new[] { cli, "up", "--port", apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--aws-port", awsPort.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var host = Process.Start(start)!;
        int? moto = null;
        using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (moto is null)
            {
                var line = await host.StandardOutput.ReadLineAsync(ready.Token) ?? throw new InvalidOperationException("up exited early: " + await host.StandardError.ReadToEndAsync(ready.Token));
                if (MotoPid().Match(line) is { Success: true } match)
                {
                    moto = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        IsAlive(moto.Value).Should().BeTrue();

        host.Kill(entireProcessTree: false);
        await host.WaitForExitAsync(TestContext.Current.CancellationToken);

        (await ExitsWithinAsync(moto.Value, TimeSpan.FromSeconds(10))).Should().BeTrue("moto dies with its parent (stdin closed / PR_SET_PDEATHSIG)");
    }

    [GeneratedRegex(@"moto_server pid (\d+)")]
    private static partial Regex MotoPid();
}
