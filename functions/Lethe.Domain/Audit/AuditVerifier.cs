namespace Lethe.Domain.Audit;

public sealed record AuditVerificationResult(ChainVerification Chain, int Anchors);

/// <summary>
/// audit/verify of DESIGN.md: every anchor's signature, the chain from the latest anchor (or from genesis), every anchored hash
/// against the chain, and no journal event left unchained for more than a minute.
/// </summary>
public sealed class AuditVerifier(IAuditChainStore chain, IAnchorStore anchors, IEvidenceSigner signer, TimeProvider clock)
{
    public static readonly TimeSpan MaxUnchainedAge = TimeSpan.FromMinutes(1);

    /// <param name="fromSeq">0 or 1 for the whole chain; null for the latest anchor.</param>
    public async Task<AuditVerificationResult> VerifyAsync(string tenantId, long? fromSeq, CancellationToken cancellationToken)
    {
        var signed = await anchors.ListAsync(tenantId, cancellationToken);
        foreach (var anchor in signed)
        {
            if (anchor.Anchor.TenantId != tenantId || !await signer.VerifyAsync(anchor.Payload, anchor.Signature, anchor.Anchor.KeyId, cancellationToken))
            {
                return new(ChainVerification.Broken(fromSeq ?? 1, 0, anchor.Anchor.Seq, $"the anchor at seq {anchor.Anchor.Seq} has an invalid signature"), signed.Count);
            }
        }

        var start = fromSeq is null ? (signed.Count > 0 ? signed[^1].Anchor.Seq + 1 : 1) : Math.Max(1, fromSeq.Value);
        var anchored = signed.ToDictionary(a => a.Anchor.Seq, a => a.Anchor.Hash);
        var expectedPrev = AuditChain.GenesisHash;
        var events = new List<ChainedAuditEvent>();
        await foreach (var chained in chain.ReadChainAsync(tenantId, Math.Max(1, start - 1), cancellationToken))
        {
            if (chained.Seq == start - 1)
            {
                expectedPrev = chained.Hash;
                if (anchored.TryGetValue(chained.Seq, out var anchorHash) && anchorHash != chained.Hash)
                {
                    return new(ChainVerification.Broken(start, 0, chained.Seq, $"event {chained.Seq} differs from its signed anchor"), signed.Count);
                }

                continue;
            }

            events.Add(chained);
        }

        if (start > 1 && events.Count == 0 && expectedPrev == AuditChain.GenesisHash)
        {
            return new(ChainVerification.Broken(start, 0, start - 1, $"event {start - 1} is missing"), signed.Count);
        }

        var result = AuditChain.Verify(events, start, expectedPrev);
        if (!result.Valid)
        {
            return new(result, signed.Count);
        }

        foreach (var e in events.Where(e => anchored.TryGetValue(e.Seq, out var h) && h != e.Hash))
        {
            return new(ChainVerification.Broken(start, result.Records, e.Seq, $"event {e.Seq} differs from its signed anchor"), signed.Count);
        }

        if (await chain.OldestPendingAsync(tenantId, cancellationToken) is { } pending && clock.GetUtcNow() - pending.Event.At > MaxUnchainedAge)
        {
            return new(ChainVerification.Broken(start, result.Records, start + result.Records,
                $"event {pending.Event.EventId} has waited more than {MaxUnchainedAge.TotalSeconds:0} s to be chained"), signed.Count);
        }

        return new(result, signed.Count);
    }
}
