using System.Text.Json.Serialization;

using Lethe.Lambda.Events;
using Lethe.Lambda.Runtime;

namespace Lethe.Lambda;

/// <summary>Source-generated (trim-safe) serialization of the event records and the Runtime API's error report.</summary>
[JsonSourceGenerationOptions(UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(SqsEvent))]
[JsonSerializable(typeof(SqsBatchResponse))]
[JsonSerializable(typeof(S3Event))]
[JsonSerializable(typeof(EventBridgeEvent))]
[JsonSerializable(typeof(DynamoDbStreamEvent))]
[JsonSerializable(typeof(ErrorReport))]
public sealed partial class LambdaJsonContext : JsonSerializerContext;
