using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lethe.Lambda.Events;

/// <summary>An EventBridge event. <see cref="Detail"/> stays raw JSON; the handler reads it with its own source-generated type.</summary>
public sealed record EventBridgeEvent(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("detail-type")] string DetailType,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("region")] string Region,
    [property: JsonPropertyName("resources")] IReadOnlyList<string> Resources,
    [property: JsonPropertyName("detail")] JsonElement Detail);
