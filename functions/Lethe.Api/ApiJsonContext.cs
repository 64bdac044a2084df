using System.Text.Json;
using System.Text.Json.Serialization;
using Lethe.Api.Endpoints;

namespace Lethe.Api;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TenantResponse))]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
