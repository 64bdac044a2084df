using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lethe.Benchmarks;

/// <summary>
/// Cold start of one handler binary, measured the way Lambda sees it: a Runtime API served here, the binary started with
/// <c>AWS_LAMBDA_RUNTIME_API</c> and <c>_HANDLER</c>; init = process start → first <c>next</c> request, first invoke = process
/// start → first response posted. Run for the Native AOT binary and for the JIT build of the same code.
/// </summary>
public static class LambdaInitBenchmark
{
    public sealed record Sample(TimeSpan Init, TimeSpan FirstResponse);

    public static async Task<Sample> MeasureOnceAsync(string fileName, IReadOnlyList<string> arguments, string handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        var clock = Stopwatch.StartNew();
        var firstNext = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstResponse = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = Channel.CreateUnbounded<string>();
        events.Writer.TryWrite("{\"correlationId\":\"bench\"}");

        app.MapGet("/2018-06-01/runtime/invocation/next", async (HttpContext context) =>
        {
            firstNext.TrySetResult(clock.Elapsed);
            var payload = await events.Reader.ReadAsync(context.RequestAborted);
            context.Response.Headers["Lambda-Runtime-Aws-Request-Id"] = Guid.NewGuid().ToString();
            context.Response.Headers["Lambda-Runtime-Deadline-Ms"] = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:us-east-1:123456789012:function:bench";
            await context.Response.WriteAsync(payload);
        });
        app.MapPost("/2018-06-01/runtime/invocation/{id}/response", () =>
        {
            firstResponse.TrySetResult(clock.Elapsed);
            return Results.Accepted();
        });
        app.MapPost("/2018-06-01/runtime/invocation/{id}/error", (Delegate)(async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            firstResponse.TrySetException(new InvalidOperationException("The handler failed: " + await reader.ReadToEndAsync()));
            return Results.Accepted();
        }));
        app.MapPost("/2018-06-01/runtime/init/error", (Delegate)(async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            firstNext.TrySetException(new InvalidOperationException("Init failed: " + await reader.ReadToEndAsync()));
            return Results.Accepted();
        }));
        await app.StartAsync();
        var address = new Uri(app.Urls.First());

        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AWS_LAMBDA_RUNTIME_API"] = $"127.0.0.1:{address.Port}";
        start.Environment["_HANDLER"] = handler;
        start.Environment["AWS_LAMBDA_FUNCTION_NAME"] = "bench";
        clock.Restart();
        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        try
        {
            var init = await firstNext.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var first = await firstResponse.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return new Sample(init, first);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public static async Task<IReadOnlyList<Sample>> MeasureAsync(string fileName, IReadOnlyList<string> arguments, string handler, int runs)
    {
        await MeasureOnceAsync(fileName, arguments, handler); // warm the page cache, as a re-used Lambda host would have it
        var samples = new List<Sample>();
        for (var i = 0; i < runs; i++)
        {
            samples.Add(await MeasureOnceAsync(fileName, arguments, handler));
        }

        return samples;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
