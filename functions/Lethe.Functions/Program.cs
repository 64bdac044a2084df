using Lethe.Functions;
using Lethe.Lambda.Logging;
using Lethe.Lambda.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// The custom runtime entry point: one binary, the handler named by _HANDLER (see FunctionCatalog).
var handlerName = Environment.GetEnvironmentVariable("_HANDLER");
var runtimeApi = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API");
var functionName = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME") ?? handlerName ?? "unknown";
if (string.IsNullOrEmpty(runtimeApi))
{
    await Console.Error.WriteLineAsync("AWS_LAMBDA_RUNTIME_API is not set: this binary runs inside Lambda (or the local cloud's runtime emulation).");
    return 2;
}

using var services = new ServiceCollection()
    .AddLogging(b => b.AddPowertoolsJsonConsole(o => o.Service = functionName))
    .BuildServiceProvider();
var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Lethe.Functions");
using var http = new HttpClient { BaseAddress = new Uri($"http://{runtimeApi}/"), Timeout = Timeout.InfiniteTimeSpan };
var clock = TimeProvider.System;
var registry = FunctionCatalog.Register(new HandlerRegistry(), clock);
using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopping.Cancel();
};

var bootstrap = new LambdaBootstrap(new RuntimeApiClient(http, functionName), clock, logger);
return await bootstrap.RunAsync(() => registry.Resolve(handlerName ?? string.Empty), stopping.Token);
