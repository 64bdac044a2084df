using System.Net;
using Amazon;
using Amazon.Runtime;
using Lethe.Aws.Protocol;

namespace Lethe.Aws.Logs;

public sealed record CreateLogGroupRequest(string LogGroupName);

public sealed record PutRetentionPolicyRequest(string LogGroupName, int RetentionInDays);

public sealed record CreateLogStreamRequest(string LogGroupName, string LogStreamName);

public sealed record InputLogEvent(long Timestamp, string Message);

public sealed record PutLogEventsRequest(string LogGroupName, string LogStreamName, IReadOnlyList<InputLogEvent> LogEvents);

public sealed record FilterLogEventsRequest(string LogGroupName, long? StartTime = null, string? NextToken = null, int? Limit = null);

public sealed record FilteredLogEvent(string? LogStreamName, long Timestamp, string Message);

public sealed record FilterLogEventsResponse(IReadOnlyList<FilteredLogEvent>? Events, string? NextToken);

/// <summary>A CloudWatch Logs error code (<c>ResourceAlreadyExistsException</c>, …).</summary>
public sealed class CloudWatchLogsException(string errorCode, string message, HttpStatusCode status) : Exception($"{errorCode}: {message}")
{
    public string ErrorCode { get; } = errorCode;

    public HttpStatusCode Status { get; } = status;
}

/// <summary>
/// CloudWatch Logs over its AWS JSON 1.1 protocol (AWSSDK.CloudWatchLogs is not on our feed), through <see cref="AwsJsonClient"/>:
/// the few calls Lethe's own log groups need (the security log's writer, the local cloud's bootstrap, tests reading it back).
/// </summary>
public sealed class CloudWatchLogsClient
{
    public static readonly AwsJsonService Service = new("Logs_20140328.", "logs", "application/x-amz-json-1.1");

    private readonly AwsJsonClient _client;

    public CloudWatchLogsClient(
        HttpClient http, Uri endpoint, RegionEndpoint region, Func<CancellationToken, ValueTask<AWSCredentials>>? credentials = null, AwsRetryPolicy? retry = null)
    {
        _client = new AwsJsonClient(
            http, endpoint, region, Service, retry ?? AwsRetryPolicy.Default,
            (code, message, status) => new CloudWatchLogsException(code, message, status),
            (message, inner) => new InvalidOperationException(message, inner),
            credentials);
    }

    /// <summary>The endpoint from <c>AWS_ENDPOINT_URL_LOGS</c>, <c>AWS_ENDPOINT_URL</c>, else the regional one.</summary>
    public static CloudWatchLogsClient FromEnvironment(HttpClient http, AwsRetryPolicy? retry = null)
    {
        var region = RegionEndpoint.GetBySystemName(Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1");
        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_LOGS") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        return new CloudWatchLogsClient(http, endpoint is null ? new Uri($"https://logs.{region.SystemName}.amazonaws.com/") : new Uri(endpoint), region, retry: retry);
    }

    /// <summary>Creates the group with its retention (an existing group keeps its events; its retention is set again).</summary>
    public async Task CreateLogGroupAsync(string name, int retentionDays, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CallAsync("CreateLogGroup", new CreateLogGroupRequest(name), AwsJsonContext.Default.CreateLogGroupRequest, AwsJsonContext.Default.EmptyResponse, cancellationToken);
        }
        catch (CloudWatchLogsException ex) when (ex.ErrorCode == "ResourceAlreadyExistsException")
        {
        }

        await _client.CallAsync("PutRetentionPolicy", new PutRetentionPolicyRequest(name, retentionDays), AwsJsonContext.Default.PutRetentionPolicyRequest, AwsJsonContext.Default.EmptyResponse, cancellationToken);
    }

    public async Task CreateLogStreamAsync(string group, string stream, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CallAsync("CreateLogStream", new CreateLogStreamRequest(group, stream), AwsJsonContext.Default.CreateLogStreamRequest, AwsJsonContext.Default.EmptyResponse, cancellationToken);
        }
        catch (CloudWatchLogsException ex) when (ex.ErrorCode == "ResourceAlreadyExistsException")
        {
        }
    }

    /// <summary>Events in time order, at most 10,000 and 1 MB per call (the caller batches).</summary>
    public Task PutLogEventsAsync(string group, string stream, IReadOnlyList<InputLogEvent> events, CancellationToken cancellationToken) =>
        _client.CallAsync("PutLogEvents", new PutLogEventsRequest(group, stream, events), AwsJsonContext.Default.PutLogEventsRequest, AwsJsonContext.Default.EmptyResponse, cancellationToken);

    /// <summary>Every event of the group from <paramref name="startTime"/> (ms since the epoch), following <c>nextToken</c>.</summary>
    public async Task<IReadOnlyList<FilteredLogEvent>> FilterAllAsync(string group, long? startTime, CancellationToken cancellationToken)
    {
        var events = new List<FilteredLogEvent>();
        string? next = null;
        do
        {
            var page = await _client.CallAsync("FilterLogEvents", new FilterLogEventsRequest(group, startTime, next), AwsJsonContext.Default.FilterLogEventsRequest, AwsJsonContext.Default.FilterLogEventsResponse, cancellationToken);
            events.AddRange(page.Events ?? []);
            next = page.NextToken;
        }
        while (next is not null);

        return events;
    }
}
