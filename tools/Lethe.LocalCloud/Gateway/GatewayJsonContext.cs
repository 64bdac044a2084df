using System.Text.Json.Serialization;
using Lethe.Lambda.Runtime;

namespace Lethe.LocalCloud.Gateway;

public sealed record AwsError([property: JsonPropertyName("__type")] string Type, [property: JsonPropertyName("message")] string Message);

[JsonSerializable(typeof(ErrorReport))]
[JsonSerializable(typeof(AwsError))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
