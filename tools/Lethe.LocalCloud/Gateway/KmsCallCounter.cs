using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Lethe.LocalCloud.Gateway;

internal sealed record KmsRequest(string Operation, string Tenant, string KeyId);

/// <summary>
/// Counts KMS requests passing the gateway, by operation and by the <c>tenant</c> of their encryption context, so a test can
/// prove a warm writer makes no KMS call per write without counting other tests' calls.
/// </summary>
public sealed class KmsCallCounter
{
    public const string TargetPrefix = "TrentService.";
    private const int MaxObservedBody = 64 * 1024;
    private readonly ConcurrentDictionary<(string Operation, string Tenant), long> _counts = new();

    public long Count(string operation, string tenant) => _counts.TryGetValue((operation, tenant), out var n) ? n : 0;

    public long CountForTenant(string tenant) => _counts.Where(c => c.Key.Tenant == tenant).Sum(c => c.Value);

    internal void Count(KmsRequest request) => _counts.AddOrUpdate((request.Operation, request.Tenant), 1, (_, n) => n + 1);

    /// <summary>Reads what the gateway needs from a KMS request (its body is small) and rewinds it for forwarding.</summary>
    internal static async Task<KmsRequest> InspectAsync(HttpRequest request, string target)
    {
        var operation = target[TargetPrefix.Length..];
        string tenant = string.Empty, keyId = string.Empty;
        if (request.ContentLength is > 0 and <= MaxObservedBody)
        {
            request.EnableBuffering();
            try
            {
                using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
                var root = body.RootElement;
                if (root.TryGetProperty("EncryptionContext", out var context) && context.ValueKind == JsonValueKind.Object
                    && context.TryGetProperty("tenant", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    tenant = t.GetString()!;
                }

                if (root.TryGetProperty("KeyId", out var key) && key.ValueKind == JsonValueKind.String)
                {
                    keyId = key.GetString()!;
                }
            }
            catch (JsonException)
            {
                // Not ours to judge: moto answers malformed requests.
            }
            finally
            {
                request.Body.Position = 0;
            }
        }

        return new KmsRequest(operation, tenant, keyId);
    }
}
