using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Canonical;

namespace Lethe.Domain.Audit;

/// <summary>A signed statement "the chain of this tenant had this head at this time" (DESIGN.md, anchors).</summary>
public sealed record AuditAnchor(string TenantId, long Seq, string Hash, DateTimeOffset At, string KeyId)
{
    public const string Algorithm = "ECDSA_SHA_256";

    /// <summary>The signed bytes: RFC 8785 JSON of the anchor (strings and integers only).</summary>
    public byte[] CanonicalPayload()
    {
        var body = new JsonObject
        {
            ["type"] = "audit-anchor",
            ["tenantId"] = TenantId,
            ["seq"] = Seq,
            ["hash"] = Hash,
            ["at"] = AuditChain.FormatTime(At),
            ["keyId"] = KeyId,
        };
        using var document = JsonDocument.Parse(body.ToJsonString());
        return Encoding.UTF8.GetBytes(CanonicalJson.Serialize(document.RootElement));
    }
}

public sealed record SignedAnchor(AuditAnchor Anchor, byte[] Payload, byte[] Signature);

/// <summary>Signs with the platform's P-256 signing key (KMS) and verifies with its published public key. A port.</summary>
public interface IEvidenceSigner
{
    string KeyId { get; }

    /// <summary>
    /// Whether <paramref name="keyId"/> is one of the platform's signing keys (the current one or one that signed before and
    /// stays published). Evidence signed by any other key, however valid its signature, proves nothing.
    /// </summary>
    bool IsKnownKey(string keyId);

    Task<byte[]> SignAsync(byte[] payload, CancellationToken cancellationToken);

    /// <summary>Verifies offline with the public key of <paramref name="keyId"/> (every key version that ever signed stays published).</summary>
    Task<bool> VerifyAsync(byte[] payload, byte[] signature, string keyId, CancellationToken cancellationToken);
}

/// <summary>Anchors kept in the Object-Lock audit-archive bucket. A port.</summary>
public interface IAnchorStore
{
    Task WriteAsync(SignedAnchor anchor, CancellationToken cancellationToken);

    /// <summary>The seqs the tenant's anchors sign, ascending (a listing: no anchor is downloaded).</summary>
    Task<IReadOnlyList<long>> ListSeqsAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>The anchor of one seq, or null.</summary>
    Task<SignedAnchor?> FindAsync(string tenantId, long seq, CancellationToken cancellationToken);
}

/// <summary>
/// Signs a tenant's chain head into an anchor. Anchors are kept for years and cannot be deleted, so a head that has not changed
/// since the latest anchor (or moved only by the audit events of anchoring itself) gets no new anchor: the existing one is
/// returned, and a caller cannot fill the archive by asking again and again.
/// </summary>
public sealed class AuditAnchorer(IAuditChainStore chain, IAnchorStore anchors, IEvidenceSigner signer, TimeProvider clock)
{
    public const string AnchorAction = "audit.anchor";

    /// <summary>How many events after the latest anchor are read to see whether they are only anchoring events.</summary>
    private const int AnchorEventsLookahead = 16;

    public async Task<AnchorOutcome?> AnchorAsync(string tenantId, CancellationToken cancellationToken)
    {
        var head = await chain.ReadHeadAsync(tenantId, cancellationToken);
        if (head.Seq == 0)
        {
            return null;
        }

        var seqs = await anchors.ListSeqsAsync(tenantId, cancellationToken);
        if (seqs.Count > 0 && await anchors.FindAsync(tenantId, seqs[^1], cancellationToken) is { } latest
            && await UnchangedSinceAsync(tenantId, latest.Anchor.Seq, head, cancellationToken))
        {
            return new AnchorOutcome(latest, Created: false);
        }

        var anchor = new AuditAnchor(tenantId, head.Seq, head.Hash, clock.GetUtcNow(), signer.KeyId);
        var payload = anchor.CanonicalPayload();
        var signed = new SignedAnchor(anchor, payload, await signer.SignAsync(payload, cancellationToken));
        await anchors.WriteAsync(signed, cancellationToken);
        return new AnchorOutcome(signed, Created: true);
    }

    private async Task<bool> UnchangedSinceAsync(string tenantId, long anchoredSeq, ChainHead head, CancellationToken cancellationToken)
    {
        if (head.Seq == anchoredSeq)
        {
            return true;
        }

        if (head.Seq - anchoredSeq > AnchorEventsLookahead)
        {
            return false;
        }

        await foreach (var chained in chain.ReadChainAsync(tenantId, anchoredSeq + 1, cancellationToken))
        {
            if (chained.Event.Action != AnchorAction)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>The anchor that signs the head, and whether this call created it (false: the head was anchored already).</summary>
public sealed record AnchorOutcome(SignedAnchor Anchor, bool Created);
