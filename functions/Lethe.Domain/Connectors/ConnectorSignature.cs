using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Lethe.Domain.Connectors;

/// <summary>
/// The call a connector receives (API.md): a JSON body naming the request, the subject and the callback path, signed with
/// <c>X-Lethe-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))</c> over the exact bytes sent, and the Unix
/// time in <c>X-Lethe-Timestamp</c>, so a receiver can refuse a stale replay.
/// </summary>
public static class ConnectorSignature
{
    public const string TimestampHeader = "X-Lethe-Timestamp";
    public const string SignatureHeader = "X-Lethe-Signature";

    public static string CallbackPath(string tenantId, string requestId, string connector) =>
        $"/v1/tenants/{tenantId}/requests/{requestId}/connectors/{connector}";

    public static string Body(string tenantId, string requestId, string type, string subjectId, string connector) =>
        new JsonObject
        {
            ["requestId"] = requestId,
            ["type"] = type,
            ["subjectId"] = subjectId,
            ["connector"] = connector,
            ["callback"] = CallbackPath(tenantId, requestId, connector),
        }.ToJsonString();

    public static string Sign(string secret, string timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body));
        return "sha256=" + Convert.ToHexStringLower(mac);
    }

    /// <summary>The two headers of a call made at <paramref name="at"/>.</summary>
    public static IReadOnlyDictionary<string, string> Headers(string secret, string body, DateTimeOffset at)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [TimestampHeader] = timestamp,
            [SignatureHeader] = Sign(secret, timestamp, body),
        };
    }

    /// <summary>What a receiver does: recompute and compare in constant time.</summary>
    public static bool Verify(string secret, string timestamp, string body, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, timestamp, body)), Encoding.ASCII.GetBytes(signature ?? string.Empty));
}

/// <summary>
/// Connector secrets at rest: sealed (AES-GCM envelope) under a key derived from the tenant's subject-ref key, bound to the
/// tenant and the connector's name, so a sealed secret copied to another connector or tenant does not open.
/// </summary>
public static class ConnectorSecrets
{
    public const string Purpose = "connector-secrets";

    public static byte[] Seal(Crypto.SubjectKek tenantRefKey, string tenantId, string connector, string secret)
    {
        ArgumentNullException.ThrowIfNull(tenantRefKey);
        using var key = tenantRefKey.Derive(Purpose);
        return Crypto.FieldEnvelope.Seal(Encoding.UTF8.GetBytes(secret), key, Context(tenantId, connector));
    }

    public static string Open(Crypto.SubjectKek tenantRefKey, string tenantId, string connector, byte[] sealedSecret)
    {
        ArgumentNullException.ThrowIfNull(tenantRefKey);
        using var key = tenantRefKey.Derive(Purpose);
        return Encoding.UTF8.GetString(Crypto.FieldEnvelope.Open(sealedSecret, key, Context(tenantId, connector)));
    }

    private static Crypto.EnvelopeContext Context(string tenantId, string connector) => new(tenantId, "connectors", connector, "secret");
}
