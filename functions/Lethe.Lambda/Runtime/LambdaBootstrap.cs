using Lethe.Lambda.Logging;
using Microsoft.Extensions.Logging;

namespace Lethe.Lambda.Runtime;

/// <summary>
/// The Runtime API loop of a custom runtime (<c>provided.al2023</c>): resolve the handler once (an init error is reported as such),
/// then fetch, invoke and answer events until cancelled. Each invocation gets a token that fires shortly before its deadline,
/// so a handler can stop cleanly instead of being killed mid-write.
/// </summary>
public sealed class LambdaBootstrap
{
    /// <summary>Time kept back from the deadline so a cancelled handler can still report.</summary>
    public static readonly TimeSpan DeadlineMargin = TimeSpan.FromMilliseconds(500);

    private readonly RuntimeApiClient _runtime;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    public LambdaBootstrap(RuntimeApiClient runtime, TimeProvider clock, ILogger logger)
    {
        _runtime = runtime;
        _clock = clock;
        _logger = logger;
    }

    /// <returns>The process exit code: 0 after cancellation, 1 after an init error.</returns>
    public async Task<int> RunAsync(Func<ILambdaHandler> handlerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handlerFactory);
        ILambdaHandler handler;
        try
        {
            handler = handlerFactory();
        }
#pragma warning disable CA1031 // Any init failure must reach the Runtime API, whatever its type.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "Handler initialisation failed");
            await _runtime.ReportInitErrorAsync(ErrorReport.From(ex), cancellationToken);
            return 1;
        }

        var coldStart = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            Invocation invocation;
            try
            {
                invocation = await _runtime.NextAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await InvokeOnceAsync(handler, invocation, coldStart, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Shut down while answering (the Runtime API may already hold the answer): a stop, not a failure.
                break;
            }

            coldStart = false;
        }

        return 0;
    }

    private async Task InvokeOnceAsync(ILambdaHandler handler, Invocation invocation, bool coldStart, CancellationToken stopping)
    {
        var context = invocation.Context;
        using var scope = _logger.BeginScope(LogScope.ForInvocation(context.RequestId, CorrelationId.Find(invocation.Payload) ?? context.RequestId, coldStart));
        using var deadline = new CancellationTokenSource(Budget(context), _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopping);
        byte[] result;
        try
        {
            result = await handler.InvokeAsync(invocation.Payload, context, linked.Token);
        }
#pragma warning disable CA1031 // Every handler failure is reported to the Runtime API with its errorType; the loop goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var report = ErrorReport.From(ex);
            _logger.LogError(ex, "Invocation failed with {ErrorType}", report.ErrorType);
            await _runtime.ReportErrorAsync(context.RequestId, report, stopping);
            return;
        }

        await _runtime.RespondAsync(context.RequestId, result, stopping);
    }

    private TimeSpan Budget(LambdaContext context)
    {
        var left = context.RemainingTime(_clock) - DeadlineMargin;
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }
}
