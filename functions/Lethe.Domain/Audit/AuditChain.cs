using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Canonical;

namespace Lethe.Domain.Audit;

public sealed record AuditActor(string Sub, string Role);

/// <summary>An audited action as the journal records it, before the chainer gives it a place in the chain.</summary>
public sealed record AuditEvent(
    string EventId,
    string TenantId,
    DateTimeOffset At,
    AuditActor Actor,
    string Action,
    string Target,
    string Outcome,
    JsonElement Details);

/// <summary>An event linked into its tenant's chain.</summary>
public sealed record ChainedAuditEvent(AuditEvent Event, long Seq, string PrevHash, string Hash);

public sealed record ChainVerification(bool Valid, long From, long Records, string? Head, long? BrokenAt, string? Reason)
{
    public static ChainVerification Broken(long from, long records, long at, string reason) => new(false, from, records, null, at, reason);
}

/// <summary>
/// The tamper-evident chain of DESIGN.md: <c>hash</c> = lowercase hex SHA-256 of the RFC 8785 canonical JSON of
/// {tenantId, seq, at, actor {sub, role}, action, target, outcome, details, prevHash}; the first event's prevHash is 64 zeros.
/// Changing, removing or reordering any event breaks every hash after it.
/// </summary>
public static class AuditChain
{
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>Times are hashed as ISO 8601 UTC with milliseconds, the form the API shows.</summary>
    public static string FormatTime(DateTimeOffset at) => Timestamps.Format(at);

    public static string ComputeHash(AuditEvent evt, long seq, string prevHash)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var body = new JsonObject
        {
            ["tenantId"] = evt.TenantId,
            ["seq"] = seq,
            ["at"] = FormatTime(evt.At),
            ["actor"] = new JsonObject { ["sub"] = evt.Actor.Sub, ["role"] = evt.Actor.Role },
            ["action"] = evt.Action,
            ["target"] = evt.Target,
            ["outcome"] = evt.Outcome,
            ["details"] = evt.Details.ValueKind == JsonValueKind.Undefined ? new JsonObject() : JsonNode.Parse(evt.Details.GetRawText()),
            ["prevHash"] = prevHash,
        };
        using var document = JsonDocument.Parse(body.ToJsonString());
        return Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.SerializeToUtf8(document.RootElement)));
    }

    /// <summary>Links <paramref name="evt"/> after the chain head (<paramref name="headSeq"/> 0 and the genesis hash for an empty chain).</summary>
    public static ChainedAuditEvent Link(AuditEvent evt, long headSeq, string headHash)
    {
        var seq = headSeq + 1;
        return new ChainedAuditEvent(evt, seq, headHash, ComputeHash(evt, seq, headHash));
    }

    /// <summary>
    /// Verifies events in seq order starting at <paramref name="fromSeq"/>, whose predecessor's hash is <paramref name="expectedPrevHash"/>
    /// (the genesis hash from seq 1, an anchor's hash otherwise). Reports the first seq that is missing, out of place or altered.
    /// </summary>
    public static ChainVerification Verify(IEnumerable<ChainedAuditEvent> events, long fromSeq, string expectedPrevHash)
    {
        ArgumentNullException.ThrowIfNull(events);
        var expectedSeq = fromSeq;
        var prev = expectedPrevHash;
        long records = 0;
        foreach (var chained in events)
        {
            if (chained.Seq != expectedSeq)
            {
                return ChainVerification.Broken(fromSeq, records, expectedSeq, chained.Seq > expectedSeq
                    ? $"event {expectedSeq} is missing"
                    : $"event {chained.Seq} appears out of order");
            }

            if (!string.Equals(chained.PrevHash, prev, StringComparison.Ordinal))
            {
                return ChainVerification.Broken(fromSeq, records, chained.Seq, $"event {chained.Seq} does not link to the hash of event {chained.Seq - 1}");
            }

            var recomputed = ComputeHash(chained.Event, chained.Seq, chained.PrevHash);
            if (!string.Equals(recomputed, chained.Hash, StringComparison.Ordinal))
            {
                return ChainVerification.Broken(fromSeq, records, chained.Seq, $"event {chained.Seq} was changed after it was chained");
            }

            prev = chained.Hash;
            expectedSeq++;
            records++;
        }

        return new ChainVerification(true, fromSeq, records, records == 0 ? expectedPrevHash : prev, null, null);
    }

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
