using System.Text.Json.Serialization;

namespace Lethe.Lambda.Events;

/// <summary>Source-generated (trim-safe) serialization of the event records.</summary>
[JsonSourceGenerationOptions(UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(SqsEvent))]
[JsonSerializable(typeof(SqsBatchResponse))]
[JsonSerializable(typeof(S3Event))]
[JsonSerializable(typeof(EventBridgeEvent))]
[JsonSerializable(typeof(DynamoDbStreamEvent))]
public sealed partial class LambdaEventsJsonContext : JsonSerializerContext;
