using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon;
using Amazon.Runtime;
using Lethe.Aws.Protocol;

namespace Lethe.LocalCloud.EventSources;

public sealed record DescribeStreamRequest(string StreamArn);

public sealed record StreamShard(string ShardId);

public sealed record StreamDescription(IReadOnlyList<StreamShard> Shards);

public sealed record DescribeStreamResponse(StreamDescription StreamDescription);

public sealed record GetShardIteratorRequest(string StreamArn, string ShardId, string ShardIteratorType, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? SequenceNumber = null);

public sealed record GetShardIteratorResponse(string? ShardIterator);

public sealed record GetRecordsRequest(string ShardIterator, int Limit);

/// <summary>Records stay raw: they already have the shape Lambda delivers to a stream-triggered function.</summary>
public sealed record GetRecordsResponse(IReadOnlyList<JsonElement> Records, string? NextShardIterator);

public sealed class DynamoStreamsException(string code, string message, HttpStatusCode status) : Exception($"{code}: {message}")
{
    public string Code { get; } = code;

    public HttpStatusCode Status { get; } = status;
}

/// <summary>
/// DynamoDB Streams over the AWS JSON protocol (AWSSDK 4 ships it as AWSSDK.DynamoDBStreams, which our feed lacks). Only the
/// local cloud reads streams itself; in AWS an event-source mapping does.
/// </summary>
public sealed class DynamoStreamsClient(HttpClient http, Uri endpoint, RegionEndpoint region, AWSCredentials credentials)
{
    private readonly AwsJsonClient _client = new(
        http, endpoint, region, new AwsJsonService("DynamoDBStreams_20120810.", "dynamodb", "application/x-amz-json-1.0"), AwsRetryPolicy.Default,
        (code, message, status) => new DynamoStreamsException(code, message, status),
        (message, inner) => new DynamoStreamsException("Unavailable", message + " " + inner.Message, HttpStatusCode.ServiceUnavailable),
        _ => ValueTask.FromResult(credentials));

    private static LocalCloudJsonContext Json => LocalCloudJsonContext.Default;

    public Task<DescribeStreamResponse> DescribeStreamAsync(string streamArn, CancellationToken cancellationToken) =>
        _client.CallAsync("DescribeStream", new DescribeStreamRequest(streamArn), Json.DescribeStreamRequest, Json.DescribeStreamResponse, cancellationToken);

    public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken) =>
        _client.CallAsync("GetShardIterator", request, Json.GetShardIteratorRequest, Json.GetShardIteratorResponse, cancellationToken);

    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken) =>
        _client.CallAsync("GetRecords", request, Json.GetRecordsRequest, Json.GetRecordsResponse, cancellationToken);
}
