using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace Lethe.Aws.StepFunctions;

public sealed class StepFunctionsClientOptions
{
    /// <summary>The service endpoint; by default <c>AWS_ENDPOINT_URL_SFN</c>, <c>AWS_ENDPOINT_URL</c>, then the regional endpoint.</summary>
    public Uri? ServiceUrl { get; set; }

    public required RegionEndpoint Region { get; set; }

    public int MaxAttempts { get; set; } = 5;

    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    public static StepFunctionsClientOptions FromEnvironment()
    {
        var region = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_SFN") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        return new StepFunctionsClientOptions
        {
            Region = RegionEndpoint.GetBySystemName(region),
            ServiceUrl = endpoint is null ? null : new Uri(endpoint),
        };
    }
}

/// <summary>
/// Step Functions over its AWS JSON 1.0 protocol, SigV4-signed with AWSSDK.Core's signer and the SDK credential chain
/// (AWSSDK.StepFunctions is not on our feed). Throttling and 5xx answers are retried with full-jitter exponential backoff;
/// service errors surface as typed exceptions (<see cref="ExecutionAlreadyExistsException"/>, …).
/// </summary>
public sealed class StepFunctionsClient
{
    private const string TargetPrefix = "AWSStepFunctions.";
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/x-amz-json-1.0");
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "ServiceUnavailable",
    };

    private readonly HttpClient _http;
    private readonly StepFunctionsClientOptions _options;
    private readonly Func<CancellationToken, ValueTask<AWSCredentials>> _credentials;
    private readonly TimeProvider _clock;
    private readonly Uri _endpoint;

    public StepFunctionsClient(
        HttpClient http,
        StepFunctionsClientOptions options,
        Func<CancellationToken, ValueTask<AWSCredentials>>? credentials = null,
        TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _credentials = credentials ?? DefaultCredentialsAsync;
        _clock = clock ?? TimeProvider.System;
        _endpoint = options.ServiceUrl ?? new Uri($"https://states.{options.Region.SystemName}.amazonaws.com/");
    }

    public Task<StartExecutionResponse> StartExecutionAsync(StartExecutionRequest request, CancellationToken cancellationToken) =>
        CallAsync("StartExecution", request, Json.StartExecutionRequest, Json.StartExecutionResponse, cancellationToken);

    public Task<DescribeExecutionResponse> DescribeExecutionAsync(string executionArn, CancellationToken cancellationToken) =>
        CallAsync("DescribeExecution", new ExecutionRequest(executionArn), Json.ExecutionRequest, Json.DescribeExecutionResponse, cancellationToken);

    public Task<StopExecutionResponse> StopExecutionAsync(StopExecutionRequest request, CancellationToken cancellationToken) =>
        CallAsync("StopExecution", request, Json.StopExecutionRequest, Json.StopExecutionResponse, cancellationToken);

    /// <summary>Restarts a failed, timed-out or aborted execution from its failed state (not implemented by moto 5.2.1).</summary>
    public Task<RedriveExecutionResponse> RedriveExecutionAsync(RedriveExecutionRequest request, CancellationToken cancellationToken) =>
        CallAsync("RedriveExecution", request, Json.RedriveExecutionRequest, Json.RedriveExecutionResponse, cancellationToken);

    public Task<ListExecutionsResponse> ListExecutionsAsync(ListExecutionsRequest request, CancellationToken cancellationToken) =>
        CallAsync("ListExecutions", request, Json.ListExecutionsRequest, Json.ListExecutionsResponse, cancellationToken);

    public Task<GetExecutionHistoryResponse> GetExecutionHistoryAsync(GetExecutionHistoryRequest request, CancellationToken cancellationToken) =>
        CallAsync("GetExecutionHistory", request, Json.GetExecutionHistoryRequest, Json.GetExecutionHistoryResponse, cancellationToken);

    /// <summary>Every event of an execution's history, following <c>nextToken</c>.</summary>
    public async Task<IReadOnlyList<HistoryEvent>> GetFullExecutionHistoryAsync(string executionArn, CancellationToken cancellationToken)
    {
        var events = new List<HistoryEvent>();
        string? next = null;
        do
        {
            var page = await GetExecutionHistoryAsync(new GetExecutionHistoryRequest(executionArn, 1000, next), cancellationToken);
            events.AddRange(page.Events);
            next = page.NextToken;
        }
        while (next is not null);

        return events;
    }

    public Task SendTaskSuccessAsync(SendTaskSuccessRequest request, CancellationToken cancellationToken) =>
        CallAsync("SendTaskSuccess", request, Json.SendTaskSuccessRequest, Json.EmptyResponse, cancellationToken);

    public Task SendTaskFailureAsync(SendTaskFailureRequest request, CancellationToken cancellationToken) =>
        CallAsync("SendTaskFailure", request, Json.SendTaskFailureRequest, Json.EmptyResponse, cancellationToken);

    public Task SendTaskHeartbeatAsync(SendTaskHeartbeatRequest request, CancellationToken cancellationToken) =>
        CallAsync("SendTaskHeartbeat", request, Json.SendTaskHeartbeatRequest, Json.EmptyResponse, cancellationToken);

    public Task<CreateStateMachineResponse> CreateStateMachineAsync(CreateStateMachineRequest request, CancellationToken cancellationToken) =>
        CallAsync("CreateStateMachine", request, Json.CreateStateMachineRequest, Json.CreateStateMachineResponse, cancellationToken);

    public Task UpdateStateMachineAsync(UpdateStateMachineRequest request, CancellationToken cancellationToken) =>
        CallAsync("UpdateStateMachine", request, Json.UpdateStateMachineRequest, Json.EmptyResponse, cancellationToken);

    public Task<ListStateMachinesResponse> ListStateMachinesAsync(ListStateMachinesRequest request, CancellationToken cancellationToken) =>
        CallAsync("ListStateMachines", request, Json.ListStateMachinesRequest, Json.ListStateMachinesResponse, cancellationToken);

    private static StepFunctionsJsonContext Json => StepFunctionsJsonContext.Default;

    private async Task<TResponse> CallAsync<TRequest, TResponse>(
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
            catch (HttpRequestException ex) when (attempt < _options.MaxAttempts)
            {
                await BackOffAsync(attempt, ex, cancellationToken);
                continue;
            }
            catch (HttpRequestException ex)
            {
                throw new StepFunctionsUnavailableException($"Step Functions {operation} could not be reached after {attempt} attempts.", ex);
            }

            using (response)
            {
                var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return content.Length == 0
                        ? JsonSerializer.Deserialize("{}"u8, responseType)!
                        : JsonSerializer.Deserialize(content, responseType)
                          ?? throw new StepFunctionsException("InvalidResponse", $"{operation} returned an empty body.", response.StatusCode);
                }

                var error = ParseError(response, content);
                var retryable = ThrottlingCodes.Contains(error.ErrorCode) || (int)response.StatusCode >= 500;
                if (!retryable)
                {
                    throw error;
                }

                if (attempt >= _options.MaxAttempts)
                {
                    throw new StepFunctionsUnavailableException($"Step Functions {operation} kept failing ({error.Message}) after {attempt} attempts.", error);
                }

                await BackOffAsync(attempt, error, cancellationToken);
            }
        }
    }

    private async Task<HttpRequestMessage> BuildSignedRequestAsync(string operation, byte[] body, CancellationToken cancellationToken)
    {
        var signing = new AWSSigningRequest { HttpMethod = HttpMethod.Post, RequestUri = _endpoint, Content = body };
        signing.Headers["Content-Type"] = JsonMediaType.ToString();
        signing.Headers["X-Amz-Target"] = TargetPrefix + operation;
        var parameters = new AWSSigV4Parameters
        {
            Credentials = await _credentials(cancellationToken),
            Region = _options.Region,
            Service = "states",
        };
        var signed = await AWSSigV4Signer.SignAsync(signing, parameters, cancellationToken);

        var message = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = JsonMediaType;
        message.Headers.TryAddWithoutValidation("X-Amz-Target", TargetPrefix + operation);
        foreach (var (name, value) in signed.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    /// <summary>Reads the error code from <c>__type</c> (possibly namespaced, <c>com.amazonaws.states#Code</c>) or <c>x-amzn-ErrorType</c>.</summary>
    internal static StepFunctionsException ParseError(HttpResponseMessage response, byte[] content)
    {
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
        return StepFunctionsException.From(code, text ?? response.ReasonPhrase ?? "no message", response.StatusCode);
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

    private async Task BackOffAsync(int attempt, Exception cause, CancellationToken cancellationToken)
    {
        _ = cause;
        var ceiling = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
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
