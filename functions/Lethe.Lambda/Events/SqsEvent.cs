using System.Text.Json.Serialization;

namespace Lethe.Lambda.Events;

/// <summary>The event an SQS event-source mapping delivers (a batch of messages).</summary>
public sealed record SqsEvent([property: JsonPropertyName("Records")] IReadOnlyList<SqsMessage> Records);

public sealed record SqsMessage(
    [property: JsonPropertyName("messageId")] string MessageId,
    [property: JsonPropertyName("receiptHandle")] string ReceiptHandle,
    [property: JsonPropertyName("body")] string Body,
    [property: JsonPropertyName("attributes")] IReadOnlyDictionary<string, string>? Attributes,
    [property: JsonPropertyName("messageAttributes")] IReadOnlyDictionary<string, SqsMessageAttributeValue>? MessageAttributes,
    [property: JsonPropertyName("md5OfBody")] string? Md5OfBody,
    [property: JsonPropertyName("eventSource")] string EventSource,
    [property: JsonPropertyName("eventSourceARN")] string EventSourceArn,
    [property: JsonPropertyName("awsRegion")] string AwsRegion);

public sealed record SqsMessageAttributeValue(
    [property: JsonPropertyName("stringValue")] string? StringValue,
    [property: JsonPropertyName("binaryValue")] string? BinaryValue,
    [property: JsonPropertyName("dataType")] string DataType);

/// <summary>
/// The partial-batch response (<c>ReportBatchItemFailures</c>): only the listed messages return to the queue,
/// the rest of the batch is deleted.
/// </summary>
public sealed record SqsBatchResponse([property: JsonPropertyName("batchItemFailures")] IReadOnlyList<SqsBatchItemFailure> BatchItemFailures)
{
    public static SqsBatchResponse None { get; } = new([]);

    public static SqsBatchResponse Failed(IEnumerable<string> messageIds) =>
        new(messageIds.Select(id => new SqsBatchItemFailure(id)).ToList());
}

public sealed record SqsBatchItemFailure([property: JsonPropertyName("itemIdentifier")] string ItemIdentifier);
