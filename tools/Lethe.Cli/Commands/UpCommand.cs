using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Lethe.Api;
using Lethe.Api.Auth;
using Lethe.Lambda.Logging;
using Lethe.LocalCloud;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Lethe.Cli.Commands;

/// <summary><c>./lethe up</c>: the local cloud (moto + gateway) and the API in one process; Ctrl-C or SIGTERM stops all of it.</summary>
public static class UpCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "The API's port.", DefaultValueFactory = _ => 8080 };
        var awsPort = new Option<int>("--aws-port") { Description = "The AWS endpoint's port (the gateway).", DefaultValueFactory = _ => 4566 };
        var timeScale = new Option<int>("--time-scale")
        {
            Description = "Default tenant time scale: policy durations are divided by it (local only).",
            DefaultValueFactory = _ => int.TryParse(Environment.GetEnvironmentVariable("LETHE_TIME_SCALE"), CultureInfo.InvariantCulture, out var s) ? s : 1,
        };
        var command = new Command("up", "Start the local cloud and the API.") { port, awsPort, timeScale };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(port), parse.GetValue(awsPort), parse.GetValue(timeScale), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int port, int awsPort, int timeScale, CancellationToken cancellationToken)
    {
        if (port is < 1 or > 65535 || awsPort is < 1 or > 65535 || port == awsPort)
        {
            await Console.Error.WriteLineAsync("lethe up: --port and --aws-port are two different ports between 1 and 65535.");
            return 2;
        }

        if (timeScale < 1)
        {
            await Console.Error.WriteLineAsync("lethe up: --time-scale is an integer of at least 1.");
            return 2;
        }

        foreach (var p in new[] { port, awsPort })
        {
            if (!IsFree(p))
            {
                await Console.Error.WriteLineAsync($"lethe up: port {p} is in use. Stop what holds it, or pass another with --port / --aws-port.");
                return 1;
            }
        }

        // SIGTERM and Ctrl-C only complete this task: a signal handler may run on its own thread while we are already
        // stopping, so it touches nothing that shutdown disposes. Start-up itself is cancelled through the command's token.
        var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopRequested.TrySetResult();
        });
        using var onCancel = cancellationToken.Register(() => stopRequested.TrySetResult());
        return await ServeAsync(port, awsPort, timeScale, stopRequested.Task, cancellationToken);
    }

    private static async Task<int> ServeAsync(int port, int awsPort, int timeScale, Task stopRequested, CancellationToken startupToken)
    {
        using var loggers = LoggerFactory.Create(b => b.AddPowertoolsJsonConsole(o => o.Service = "lethe-local-cloud").SetMinimumLevel(LogLevel.Warning));
        var root = RepositoryLayout.FindRoot() ?? Directory.GetCurrentDirectory();

        var (cloud, api) = await StartAsync(port, awsPort, timeScale, root, loggers, startupToken);
        await using var cloudScope = cloud;
        await using var apiScope = api;

        var endpoint = cloud.Endpoint.ToString().TrimEnd('/');
        Console.WriteLine($"Lethe is up: http://localhost:{port}");
        Console.WriteLine($"AWS endpoint: {endpoint}");
        Console.WriteLine($"export AWS_ACCESS_KEY_ID={LocalCloudHost.AccessKey}");
        Console.WriteLine($"export AWS_SECRET_ACCESS_KEY={LocalCloudHost.SecretKey}");
        Console.WriteLine($"export AWS_DEFAULT_REGION={cloud.Region.SystemName}");
        Console.WriteLine($"export AWS_REGION={cloud.Region.SystemName}");
        Console.WriteLine($"export AWS_ENDPOINT_URL={endpoint}");
        Console.WriteLine($"Local cloud started in {cloud.StartupTime.TotalSeconds:0.0} s (moto_server pid {cloud.MotoProcessId}, time scale {timeScale}).");
        Console.WriteLine($"API reference: http://localhost:{port}/docs   token: ./lethe token --tenant t1 --role tenant-admin");
        Console.WriteLine("Ctrl-C stops everything.");

        await stopRequested;
        Console.WriteLine("Stopping Lethe ...");
        await api.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>The local cloud and the API on the given ports (shared by <c>up</c> and a self-started <c>demo</c>).</summary>
    /// <param name="runDailySchedules">Fire the daily schedules on the scaled interval (<c>up</c>); a demo's own cloud runs none, so
    /// nothing but the demo's steps touches its data.</param>
    public static async Task<(LocalCloudHost Cloud, WebApplication Api)> StartAsync(
        int port, int awsPort, int timeScale, string root, ILoggerFactory loggers, CancellationToken cancellationToken, bool runDailySchedules = true)
    {
        var cloud = await LocalCloudHost.StartAsync(new LocalCloudOptions
        {
            GatewayPort = awsPort,
            TimeScale = timeScale,
            RepositoryRoot = root,
            RunDailySchedules = runDailySchedules,
        }, loggers, cancellationToken);
        try
        {
            cloud.ApplyToProcessEnvironment();
            var api = ApiHost.Build([], builder =>
            {
                builder.WebHost.UseUrls($"http://localhost:{port}");
                builder.Configuration["Lethe:Stage"] = "local";
                builder.Configuration["Lethe:DefaultTimeScale"] = timeScale.ToString(CultureInfo.InvariantCulture);
                builder.Configuration["Lethe:AutoProvisionTenants"] = "true";
                builder.Configuration["Lethe:Auth:Mode"] = "Local";
                builder.Configuration["Lethe:Auth:Issuer"] = DevSigningKey.Issuer;
                builder.Configuration["Lethe:Auth:Audience"] = DevSigningKey.Audience;
                builder.Configuration["Lethe:Auth:DevKeyFile"] = DevSigningKey.DefaultPath(root);
                builder.Configuration["Logging:LogLevel:Default"] = "Warning";
            });
            await api.StartAsync(cancellationToken);
            return (cloud, api);
        }
        catch
        {
            await cloud.DisposeAsync();
            throw;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
