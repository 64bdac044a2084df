using Lethe.LocalCloud.Gateway;
using Microsoft.Extensions.Logging;

namespace Lethe.LocalCloud.EventSources;

/// <summary>
/// Invokes one handler on a fixed interval, as an EventBridge rule would. The local cloud uses it to mirror execution status
/// into jobs (AWS pushes status-change events; moto emits none, so the local cloud polls through the reconciliation handler).
/// A failed run is logged and the next one comes on time.
/// </summary>
public sealed class PeriodicInvoker : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private PeriodicInvoker(Func<CancellationToken, Task> run)
    {
        _loop = Task.Run(() => run(_stop.Token));
    }

    public static PeriodicInvoker Start(string functionName, byte[] payload, TimeSpan interval, LambdaInvoker invoker, ILogger logger) =>
        new(async stopping =>
        {
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    var result = await invoker.InvokeAsync(functionName, payload, stopping);
                    if (result.FunctionError is not null)
                    {
                        logger.LogWarning("{Function} failed: {Error}", functionName, System.Text.Encoding.UTF8.GetString(result.Payload));
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "{Function} could not run", functionName);
                }
            }
        });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
