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

    Task<byte[]> SignAsync(byte[] payload, CancellationToken cancellationToken);

    /// <summary>Verifies offline with the public key of <paramref name="keyId"/> (every key version that ever signed stays published).</summary>
    Task<bool> VerifyAsync(byte[] payload, byte[] signature, string keyId, CancellationToken cancellationToken);
}

/// <summary>Anchors kept in the Object-Lock audit-archive bucket. A port.</summary>
public interface IAnchorStore
{
    Task WriteAsync(SignedAnchor anchor, CancellationToken cancellationToken);

    /// <summary>The tenant's anchors in seq order.</summary>
    Task<IReadOnlyList<SignedAnchor>> ListAsync(string tenantId, CancellationToken cancellationToken);
}

/// <summary>Signs a tenant's chain head into an anchor, unless the head is already anchored or the chain is empty.</summary>
public sealed class AuditAnchorer(IAuditChainStore chain, IAnchorStore anchors, IEvidenceSigner signer, TimeProvider clock)
{
    public async Task<SignedAnchor?> AnchorAsync(string tenantId, CancellationToken cancellationToken)
    {
        var head = await chain.ReadHeadAsync(tenantId, cancellationToken);
        if (head.Seq == 0)
        {
            return null;
        }

        var existing = await anchors.ListAsync(tenantId, cancellationToken);
        if (existing.Count > 0 && existing[^1].Anchor.Seq == head.Seq)
        {
            return existing[^1];
        }

        var anchor = new AuditAnchor(tenantId, head.Seq, head.Hash, clock.GetUtcNow(), signer.KeyId);
        var payload = anchor.CanonicalPayload();
        var signed = new SignedAnchor(anchor, payload, await signer.SignAsync(payload, cancellationToken));
        await anchors.WriteAsync(signed, cancellationToken);
        return signed;
    }
}
