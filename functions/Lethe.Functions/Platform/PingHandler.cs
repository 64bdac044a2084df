using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Platform;

public sealed record PingInput(string? CorrelationId);

public sealed record PingOutput(string Function, string RequestId, string? CorrelationId, string Version, long RemainingMilliseconds, DateTimeOffset At);

/// <summary>
/// The smoke check run after every deployment and by the local cloud's readiness test: proves the binary starts, the
/// handler registry resolves names and the invocation context (request id, deadline) reaches handler code.
/// </summary>
public sealed class PingHandler(TimeProvider clock) : LambdaHandler<PingInput, PingOutput>(FunctionsJsonContext.Default.PingInput, FunctionsJsonContext.Default.PingOutput)
{
    private static readonly string Version =
        typeof(PingHandler).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    protected override Task<PingOutput> HandleAsync(PingInput input, ILambdaContext context, CancellationToken cancellationToken) =>
        Task.FromResult(new PingOutput(
            context.FunctionName,
            context.RequestId,
            input.CorrelationId,
            Version,
            (long)context.RemainingTime(clock).TotalMilliseconds,
            clock.GetUtcNow()));
}
