using System.Text.Json.Serialization.Metadata;
using Amazon;
using Amazon.Runtime;
using Lethe.Aws.Protocol;

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
/// Step Functions over its AWS JSON 1.0 protocol (AWSSDK.StepFunctions is not on our feed), through <see cref="AwsJsonClient"/>:
/// SigV4 with the SDK credential chain, throttling and 5xx retried with backoff, service errors as typed exceptions
/// (<see cref="ExecutionAlreadyExistsException"/>, …).
/// </summary>
public sealed class StepFunctionsClient
{
    public static readonly AwsJsonService Service = new("AWSStepFunctions.", "states", "application/x-amz-json-1.0");

    private readonly AwsJsonClient _client;

    public StepFunctionsClient(
        HttpClient http,
        StepFunctionsClientOptions options,
        Func<CancellationToken, ValueTask<AWSCredentials>>? credentials = null,
        TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = new AwsJsonClient(
            http,
            options.ServiceUrl ?? new Uri($"https://states.{options.Region.SystemName}.amazonaws.com/"),
            options.Region,
            Service,
            new AwsRetryPolicy(options.MaxAttempts, options.BaseDelay, options.MaxDelay),
            StepFunctionsException.From,
            (message, inner) => new StepFunctionsUnavailableException(message, inner),
            credentials,
            clock);
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

    private static AwsJsonContext Json => AwsJsonContext.Default;

    private Task<TResponse> CallAsync<TRequest, TResponse>(
        string operation, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken) =>
        _client.CallAsync(operation, request, requestType, responseType, cancellationToken);
}
