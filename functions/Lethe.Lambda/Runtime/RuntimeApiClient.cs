using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lethe.Lambda.Runtime;

/// <summary>One invocation handed out by the Runtime API.</summary>
public sealed record Invocation(LambdaContext Context, byte[] Payload);

/// <summary>The body the Runtime API expects for a function or init error.</summary>
public sealed record ErrorReport(
    [property: JsonPropertyName("errorMessage")] string ErrorMessage,
    [property: JsonPropertyName("errorType")] string ErrorType,
    [property: JsonPropertyName("stackTrace")] IReadOnlyList<string> StackTrace)
{
    public static ErrorReport From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var trace = (exception.StackTrace ?? string.Empty)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new ErrorReport(exception.Message, ErrorTypes.Of(exception), trace);
    }
}

/// <summary>
/// Client of the Lambda Runtime API (version 2018-06-01): next, response, error, init error.
/// See https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html.
/// </summary>
public sealed class RuntimeApiClient
{
    private const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";
    private readonly HttpClient _http;
    private readonly string _functionName;

    /// <param name="http">A client whose <see cref="HttpClient.BaseAddress"/> is <c>http://{AWS_LAMBDA_RUNTIME_API}/</c>
    /// and whose timeout is infinite: <c>next</c> long-polls until an event arrives.</param>
    public RuntimeApiClient(HttpClient http, string functionName)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _functionName = functionName;
    }

    public async Task<Invocation> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("2018-06-01/runtime/invocation/next", UriKind.Relative), cancellationToken);
        response.EnsureSuccessStatusCode();
        var requestId = Header(response.Headers, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new InvalidOperationException("The Runtime API returned an event without Lambda-Runtime-Aws-Request-Id.");
        var deadlineMs = Header(response.Headers, "Lambda-Runtime-Deadline-Ms");
        var deadline = long.TryParse(deadlineMs, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : throw new InvalidOperationException($"The Runtime API returned an invalid deadline '{deadlineMs}'.");
        var arn = Header(response.Headers, "Lambda-Runtime-Invoked-Function-Arn") ?? string.Empty;
        var trace = Header(response.Headers, "Lambda-Runtime-Trace-Id");
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return new Invocation(new LambdaContext(requestId, _functionName, arn, deadline, trace), payload);
    }

    public async Task RespondAsync(string requestId, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync(
            new Uri($"2018-06-01/runtime/invocation/{Uri.EscapeDataString(requestId)}/response", UriKind.Relative), content, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public Task ReportErrorAsync(string requestId, ErrorReport error, CancellationToken cancellationToken) =>
        PostErrorAsync($"2018-06-01/runtime/invocation/{Uri.EscapeDataString(requestId)}/error", error, cancellationToken);

    public Task ReportInitErrorAsync(ErrorReport error, CancellationToken cancellationToken) =>
        PostErrorAsync("2018-06-01/runtime/init/error", error, cancellationToken);

    private async Task PostErrorAsync(string path, ErrorReport error, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(error, LambdaJsonContext.Default.ErrorReport));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.Add(ErrorTypeHeader, error.ErrorType);
        using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
