using System.Text.Json.Serialization;

namespace Lethe.Lambda.Events;

/// <summary>An S3 event notification (as delivered directly, or inside an SQS message body).</summary>
public sealed record S3Event([property: JsonPropertyName("Records")] IReadOnlyList<S3EventRecord> Records);

public sealed record S3EventRecord(
    [property: JsonPropertyName("eventVersion")] string EventVersion,
    [property: JsonPropertyName("eventSource")] string EventSource,
    [property: JsonPropertyName("awsRegion")] string AwsRegion,
    [property: JsonPropertyName("eventTime")] DateTimeOffset EventTime,
    [property: JsonPropertyName("eventName")] string EventName,
    [property: JsonPropertyName("s3")] S3Entity S3);

#pragma warning disable CA1720 // "Object" mirrors the AWS event shape.
public sealed record S3Entity(
    [property: JsonPropertyName("bucket")] S3Bucket Bucket,
    [property: JsonPropertyName("object")] S3Object Object);
#pragma warning restore CA1720

public sealed record S3Bucket(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("arn")] string? Arn);

/// <summary>An object reference. <see cref="Key"/> arrives URL-encoded (spaces as '+'); use <see cref="DecodedKey"/>.</summary>
public sealed record S3Object(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("size")] long? Size,
    [property: JsonPropertyName("eTag")] string? ETag,
    [property: JsonPropertyName("versionId")] string? VersionId,
    [property: JsonPropertyName("sequencer")] string? Sequencer)
{
    [JsonIgnore]
    public string DecodedKey => Uri.UnescapeDataString(Key.Replace('+', ' '));
}
