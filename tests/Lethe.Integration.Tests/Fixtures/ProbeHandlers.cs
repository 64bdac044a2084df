using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Lethe.Domain.Errors;
using Lethe.Lambda.Runtime;

namespace Lethe.Tests.Integration.Fixtures;

public sealed record ProbeInput(string Key, int FailTimes, bool Invalid, string? CorrelationId);

public sealed record ProbeOutput(string Key, int Attempts, string RequestId, string FunctionName, long RemainingMilliseconds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ProbeInput))]
[JsonSerializable(typeof(ProbeOutput))]
internal sealed partial class ProbeJsonContext : JsonSerializerContext;

/// <summary>
/// Test-only handlers served by the gateway next to Lethe's own: <c>probe-flaky</c> throws <see cref="TransientException"/>
/// for the first <c>failTimes</c> calls of a key (to prove a Retry matches our typed error), or
/// <see cref="InvalidInputException"/> when asked (to prove a Catch does).
/// </summary>
public sealed class ProbeHandlers
{
    public const string Flaky = "probe-flaky";

    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    public int AttemptsFor(string key) => _attempts.TryGetValue(key, out var n) ? n : 0;

    public void Register(HandlerRegistry registry) => registry.Add(Flaky, () => new FlakyHandler(this));

    private sealed class FlakyHandler(ProbeHandlers owner) : LambdaHandler<ProbeInput, ProbeOutput>(ProbeJsonContext.Default.ProbeInput, ProbeJsonContext.Default.ProbeOutput)
    {
        protected override Task<ProbeOutput> HandleAsync(ProbeInput input, ILambdaContext context, CancellationToken cancellationToken)
        {
            var attempt = owner._attempts.AddOrUpdate(input.Key, 1, (_, n) => n + 1);
            if (input.Invalid)
            {
                throw new InvalidInputException($"Probe {input.Key} was asked to reject its input.");
            }

            if (attempt <= input.FailTimes)
            {
                throw new TransientException($"Probe {input.Key} fails attempt {attempt} of {input.FailTimes}.");
            }

            return Task.FromResult(new ProbeOutput(input.Key, attempt, context.RequestId, context.FunctionName, (long)context.RemainingTime(TimeProvider.System).TotalMilliseconds));
        }
    }
}
