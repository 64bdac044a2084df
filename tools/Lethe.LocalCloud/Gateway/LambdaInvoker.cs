using System.Diagnostics;
using System.Text.Json;
using Lethe.Lambda.Logging;
using Lethe.Lambda.Runtime;
using Microsoft.Extensions.Logging;

namespace Lethe.LocalCloud.Gateway;

/// <summary>The outcome of one in-process invocation, shaped like the Lambda Invoke API's answer.</summary>
public sealed record InvocationResult(byte[] Payload, string? FunctionError, string RequestId);

/// <summary>
/// Runs our handlers in-process the way the Lambda service would: a fresh request id, a deadline from the function's timeout,
/// a cancellation token that fires before it, and an unhandled exception reported as <c>FunctionError: Unhandled</c> with the
/// Runtime API's error body (so Step Functions sees our typed <c>errorType</c>).
/// </summary>
public sealed class LambdaInvoker
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(15);

    private readonly HandlerRegistry _registry;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly string _region;
    private readonly string _accountId;
    private readonly HashSet<string> _warm = new(StringComparer.Ordinal);

    public LambdaInvoker(HandlerRegistry registry, TimeProvider clock, ILogger logger, string region, string accountId)
    {
        _registry = registry;
        _clock = clock;
        _logger = logger;
        _region = region;
        _accountId = accountId;
    }

    public bool Exists(string functionName) => _registry.Contains(functionName);

    /// <summary>
    /// Accepts a bare name, a partial ARN (<c>123:function:name</c>) or a full ARN, with or without a qualifier.
    /// </summary>
    public static string NormalizeName(string functionNameOrArn)
    {
        ArgumentNullException.ThrowIfNull(functionNameOrArn);
        var name = Uri.UnescapeDataString(functionNameOrArn);
        var marker = name.IndexOf("function:", StringComparison.Ordinal);
        if (marker >= 0)
        {
            name = name[(marker + "function:".Length)..];
        }

        var qualifier = name.IndexOf(':', StringComparison.Ordinal);
        return qualifier >= 0 ? name[..qualifier] : name;
    }

    public async Task<InvocationResult> InvokeAsync(string functionName, byte[] payload, CancellationToken cancellationToken)
    {
        var requestId = Guid.NewGuid().ToString();
        var deadline = _clock.GetUtcNow() + DefaultTimeout;
        var context = new LambdaContext(
            requestId, functionName, $"arn:aws:lambda:{_region}:{_accountId}:function:{functionName}", deadline, TraceId: null);
        bool coldStart;
        lock (_warm)
        {
            coldStart = _warm.Add(functionName);
        }

        using var scope = _logger.BeginScope(LogScope.ForInvocation(requestId, CorrelationId.Find(payload) ?? requestId, coldStart));
        using var timeout = new CancellationTokenSource(DefaultTimeout - LambdaBootstrap.DeadlineMargin, _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var watch = Stopwatch.StartNew();
        try
        {
            var handler = _registry.Resolve(functionName);
            var result = await handler.InvokeAsync(payload.Length == 0 ? "{}"u8.ToArray() : payload, context, linked.Token);
            _logger.LogInformation("Invoked {Function} in {ElapsedMs} ms", functionName, watch.ElapsedMilliseconds);
            return new InvocationResult(result, null, requestId);
        }
#pragma warning disable CA1031 // Like the Lambda service: any handler failure becomes a FunctionError answer, never a gateway crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var report = ErrorReport.From(ex);
            _logger.LogWarning("Invocation of {Function} failed with {ErrorType}: {ErrorMessage}", functionName, report.ErrorType, report.ErrorMessage);
            return new InvocationResult(JsonSerializer.SerializeToUtf8Bytes(report, LocalCloudJsonContext.Default.ErrorReport), "Unhandled", requestId);
        }
    }
}
