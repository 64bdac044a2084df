using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace Lethe.Aws.Protocol;

/// <summary>A service spoken over the AWS JSON protocol: its <c>X-Amz-Target</c> prefix, SigV4 signing name and content type.</summary>
public sealed record AwsJsonService(string TargetPrefix, string SigningName, string ContentType);

public sealed record AwsRetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    public static AwsRetryPolicy Default { get; } = new(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    /// <summary>One attempt: for a best-effort call that must never hold its caller (the security log).</summary>
    public static AwsRetryPolicy Once { get; } = new(1, TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>
/// Calls an AWS JSON-protocol service whose SDK our feed lacks (Step Functions, DynamoDB Streams): SigV4-signed with
/// AWSSDK.Core's signer and the SDK credential chain; throttling and 5xx answers retried with full-jitter backoff; errors
/// read from <c>__type</c> (possibly namespaced) or <c>x-amzn-ErrorType</c> and turned into the caller's typed exceptions.
/// </summary>
public sealed class AwsJsonClient
{
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "ServiceUnavailable", "LimitExceededException",
    };

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly RegionEndpoint _region;
    private readonly AwsJsonService _service;
    private readonly MediaTypeHeaderValue _mediaType;
    private readonly Func<CancellationToken, ValueTask<AWSCredentials>> _credentials;
    private readonly TimeProvider _clock;
    private readonly AwsRetryPolicy _retry;
    private readonly Func<string, string, HttpStatusCode, Exception> _error;
    private readonly Func<string, Exception, Exception> _unavailable;

    /// <param name="error">Makes the typed exception for a service error code (code, message, status).</param>
    /// <param name="unavailable">Makes the exception for throttling or outages that outlasted the retries.</param>
    public AwsJsonClient(
        HttpClient http, Uri endpoint, RegionEndpoint region, AwsJsonService service, AwsRetryPolicy retry,
        Func<string, string, HttpStatusCode, Exception> error, Func<string, Exception, Exception> unavailable,
        Func<CancellationToken, ValueTask<AWSCredentials>>? credentials = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        _http = http;
        _endpoint = endpoint;
        _region = region;
        _service = service;
        _mediaType = new MediaTypeHeaderValue(service.ContentType);
        _retry = retry;
        _error = error;
        _unavailable = unavailable;
        _credentials = credentials ?? DefaultCredentialsAsync;
        _clock = clock ?? TimeProvider.System;
    }

    public async Task<TResponse> CallAsync<TRequest, TResponse>(
        string operation, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        for (var attempt = 1; ; attempt++)
        {
            using var message = await BuildSignedRequestAsync(operation, body, cancellationToken);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(message, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < _retry.MaxAttempts)
            {
                await BackOffAsync(attempt, cancellationToken);
                continue;
            }
            catch (HttpRequestException ex)
            {
                throw _unavailable($"{_service.TargetPrefix}{operation} could not be reached after {attempt} attempts.", ex);
            }

            using (response)
            {
                var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return JsonSerializer.Deserialize(content.Length == 0 ? "{}"u8 : content, responseType)
                        ?? throw _error("InvalidResponse", $"{operation} returned an empty body.", response.StatusCode);
                }

                var (code, text) = ParseError(response, content);
                var error = _error(code, text, response.StatusCode);
                var retryable = ThrottlingCodes.Contains(code) || (int)response.StatusCode >= 500;
                if (!retryable)
                {
                    throw error;
                }

                if (attempt >= _retry.MaxAttempts)
                {
                    throw _unavailable($"{_service.TargetPrefix}{operation} kept failing ({code}: {text}) after {attempt} attempts.", error);
                }

                await BackOffAsync(attempt, cancellationToken);
            }
        }
    }

    private async Task<HttpRequestMessage> BuildSignedRequestAsync(string operation, byte[] body, CancellationToken cancellationToken)
    {
        var target = _service.TargetPrefix + operation;
        var signing = new AWSSigningRequest { HttpMethod = HttpMethod.Post, RequestUri = _endpoint, Content = body };
        signing.Headers["Content-Type"] = _service.ContentType;
        signing.Headers["X-Amz-Target"] = target;
        var parameters = new AWSSigV4Parameters
        {
            Credentials = await _credentials(cancellationToken),
            Region = _region,
            Service = _service.SigningName,
        };
        var signed = await AWSSigV4Signer.SignAsync(signing, parameters, cancellationToken);

        var message = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = _mediaType;
        message.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        foreach (var (name, value) in signed.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    /// <summary>The error code from <c>__type</c> (possibly <c>namespace#Code</c>) or <c>x-amzn-ErrorType</c> (<c>Code:url</c>), and the message.</summary>
    public static (string Code, string Message) ParseError(HttpResponseMessage response, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(content);
        string? code = null;
        string? text = null;
        try
        {
            if (content.Length > 0)
            {
                using var body = JsonDocument.Parse(content);
                if (body.RootElement.ValueKind == JsonValueKind.Object)
                {
                    code = StringProperty(body.RootElement, "__type");
                    text = StringProperty(body.RootElement, "message") ?? StringProperty(body.RootElement, "Message");
                }
            }
        }
        catch (JsonException)
        {
            text = System.Text.Encoding.UTF8.GetString(content);
        }

        if (code is null && response.Headers.TryGetValues("x-amzn-ErrorType", out var values))
        {
            code = values.FirstOrDefault();
        }

        code = Normalize(code) ?? (response.StatusCode == HttpStatusCode.TooManyRequests ? "ThrottlingException" : $"Http{(int)response.StatusCode}");
        return (code, text ?? response.ReasonPhrase ?? "no message");
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Normalize(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return null;
        }

        var hash = code.LastIndexOf('#');
        var colon = code.IndexOf(':', StringComparison.Ordinal);
        var start = hash >= 0 ? hash + 1 : 0;
        var end = colon > start ? colon : code.Length;
        return code[start..end];
    }

    private async Task BackOffAsync(int attempt, CancellationToken cancellationToken)
    {
        var ceiling = Math.Min(_retry.MaxDelay.TotalMilliseconds, _retry.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
#pragma warning disable CA5394 // Jitter spreads retries; it is not a security decision.
        var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
#pragma warning restore CA5394
        await Task.Delay(delay, _clock, cancellationToken);
    }

    private static async ValueTask<AWSCredentials> DefaultCredentialsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync();
    }
}
