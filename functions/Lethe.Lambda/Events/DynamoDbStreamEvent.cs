using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lethe.Lambda.Events;

/// <summary>A DynamoDB Streams batch as Lambda delivers it. Images stay raw (DynamoDB JSON); handlers read what they need.</summary>
public sealed record DynamoDbStreamEvent([property: JsonPropertyName("Records")] IReadOnlyList<DynamoDbStreamRecord> Records);

public sealed record DynamoDbStreamRecord(
    [property: JsonPropertyName("eventID")] string? EventId,
    [property: JsonPropertyName("eventName")] string EventName,
    [property: JsonPropertyName("eventSourceARN")] string? EventSourceArn,
    [property: JsonPropertyName("dynamodb")] DynamoDbStreamChange Dynamodb);

public sealed record DynamoDbStreamChange(
    [property: JsonPropertyName("Keys")] JsonElement Keys,
    [property: JsonPropertyName("NewImage")] JsonElement? NewImage,
    [property: JsonPropertyName("SequenceNumber")] string? SequenceNumber)
{
    /// <summary>A string key attribute (<c>{"pk":{"S":"…"}}</c>), or null.</summary>
    public string? StringKey(string name) =>
        Keys.ValueKind == JsonValueKind.Object && Keys.TryGetProperty(name, out var attribute) && attribute.TryGetProperty("S", out var s) ? s.GetString() : null;
}
