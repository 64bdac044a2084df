using System.Text.Json.Serialization;

namespace Lethe.LocalCloud.Gateway;

/// <summary>An error as the AWS JSON protocol returns it.</summary>
public sealed record AwsError([property: JsonPropertyName("__type")] string Type, [property: JsonPropertyName("message")] string Message);
