namespace Lethe.Lambda.Runtime;

/// <summary>What the Lambda service tells a handler about the invocation it is running.</summary>
public interface ILambdaContext
{
    string RequestId { get; }

    string FunctionName { get; }

    string InvokedFunctionArn { get; }

    /// <summary>The moment the Lambda service will stop the invocation.</summary>
    DateTimeOffset Deadline { get; }

    string? TraceId { get; }

    /// <summary>Time left until <see cref="Deadline"/> by the given clock.</summary>
    TimeSpan RemainingTime(TimeProvider clock);
}

/// <summary>The context of one invocation, filled from the Runtime API headers (or by the local gateway).</summary>
public sealed record LambdaContext(
    string RequestId,
    string FunctionName,
    string InvokedFunctionArn,
    DateTimeOffset Deadline,
    string? TraceId) : ILambdaContext
{
    public TimeSpan RemainingTime(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var left = Deadline - clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
