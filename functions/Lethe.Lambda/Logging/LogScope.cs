namespace Lethe.Lambda.Logging;

/// <summary>Scope values with the Powertools for AWS Lambda field names, so log queries written for Powertools work here.</summary>
public static class LogScope
{
    public const string ColdStart = "cold_start";
    public const string FunctionRequestId = "function_request_id";
    public const string CorrelationIdKey = "correlation_id";

    public static IReadOnlyList<KeyValuePair<string, object?>> ForInvocation(string requestId, string correlationId, bool coldStart) =>
    [
        new(FunctionRequestId, requestId),
        new(CorrelationIdKey, correlationId),
        new(ColdStart, coldStart),
    ];

    public static IReadOnlyList<KeyValuePair<string, object?>> ForCorrelation(string correlationId) =>
    [
        new(CorrelationIdKey, correlationId),
    ];
}
