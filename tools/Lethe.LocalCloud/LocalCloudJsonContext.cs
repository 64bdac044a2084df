using System.Text.Json.Serialization;
using Lethe.Lambda.Runtime;
using Lethe.LocalCloud.EventSources;
using Lethe.LocalCloud.Gateway;

namespace Lethe.LocalCloud;

/// <summary>
/// Every JSON shape the local cloud writes or reads itself: DynamoDB Streams' requests and responses (PascalCase, as that
/// service spells them), AWS JSON errors and the Runtime API's error report (both with their names spelled out).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DescribeStreamRequest))]
[JsonSerializable(typeof(DescribeStreamResponse))]
[JsonSerializable(typeof(GetShardIteratorRequest))]
[JsonSerializable(typeof(GetShardIteratorResponse))]
[JsonSerializable(typeof(GetRecordsRequest))]
[JsonSerializable(typeof(GetRecordsResponse))]
[JsonSerializable(typeof(ErrorReport))]
[JsonSerializable(typeof(AwsError))]
internal sealed partial class LocalCloudJsonContext : JsonSerializerContext;
