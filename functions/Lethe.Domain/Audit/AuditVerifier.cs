namespace Lethe.Domain.Audit;

public sealed record AuditVerificationResult(ChainVerification Chain, int Anchors);

/// <summary>
/// audit/verify of DESIGN.md and API.md. At any starting point it checks: the latest anchor (signature, a known signing key,
/// and that the chain still reaches and matches the seq it signed, so a truncated tail is found), every anchor inside the range
/// it reads, every hash from the start on (streamed page by page, never loaded whole), that the last event is the recorded head
/// (a tail removed without its anchor moving still breaks here unless the head was rewound too), and that no journal event has
/// waited more than a minute to be chained. It reads only the anchors it needs.
/// </summary>
public sealed class AuditVerifier(IAuditChainStore chain, IAnchorStore anchors, IEvidenceSigner signer, TimeProvider clock)
{
    public static readonly TimeSpan MaxUnchainedAge = TimeSpan.FromMinutes(1);

    /// <param name="fromSeq">0 or 1 for the whole chain; null for the latest anchor.</param>
    public async Task<AuditVerificationResult> VerifyAsync(string tenantId, long? fromSeq, CancellationToken cancellationToken)
    {
        var head = await chain.ReadHeadAsync(tenantId, cancellationToken);
        var anchored = await anchors.ListSeqsAsync(tenantId, cancellationToken);
        AuditVerificationResult Broken(long from, long records, long at, string reason) => new(ChainVerification.Broken(from, records, at, reason), anchored.Count);

        SignedAnchor? latest = null;
        if (anchored.Count > 0)
        {
            latest = await anchors.FindAsync(tenantId, anchored[^1], cancellationToken);
            if (await ProblemWithAsync(tenantId, latest, anchored[^1], cancellationToken) is { } problem)
            {
                return Broken(fromSeq ?? 1, 0, anchored[^1], problem);
            }

            if (latest!.Anchor.Seq > head.Seq)
            {
                return Broken(fromSeq ?? 1, 0, head.Seq + 1,
                    $"the chain ends at seq {head.Seq}, but an anchor signed seq {latest.Anchor.Seq}: events after {head.Seq} were removed");
            }
        }

        var start = Math.Max(1, fromSeq ?? (latest?.Anchor.Seq + 1 ?? 1));
        var expectedPrev = AuditChain.GenesisHash;
        if (start > 1)
        {
            if (await chain.FindAsync(tenantId, start - 1, cancellationToken) is not { } before)
            {
                return Broken(start, 0, start - 1, $"event {start - 1} is missing");
            }

            expectedPrev = before.Hash;
            if (before.Seq == head.Seq && before.Hash != head.Hash)
            {
                return Broken(start, 0, before.Seq, $"event {before.Seq} is not the recorded head");
            }
        }

        // Anchors before the range (the latest, when a later seq was asked for) are matched by a single read each.
        var inRange = new HashSet<long>(anchored.Where(seq => seq >= start));
        foreach (var seq in anchored.Where(seq => seq < start && (seq == start - 1 || seq == anchored[^1])))
        {
            var anchor = seq == anchored[^1] ? latest : await anchors.FindAsync(tenantId, seq, cancellationToken);
            if (await ProblemWithAsync(tenantId, anchor, seq, cancellationToken) is { } problem)
            {
                return Broken(start, 0, seq, problem);
            }

            if (await chain.FindAsync(tenantId, seq, cancellationToken) is not { } signedEvent || signedEvent.Hash != anchor!.Anchor.Hash)
            {
                return Broken(start, 0, seq, $"event {seq} differs from its signed anchor");
            }
        }

        var expectedSeq = start;
        long records = 0;
        await foreach (var chained in chain.ReadChainAsync(tenantId, start, cancellationToken))
        {
            if (chained.Seq != expectedSeq)
            {
                return Broken(start, records, expectedSeq, chained.Seq > expectedSeq ? $"event {expectedSeq} is missing" : $"event {chained.Seq} appears out of order");
            }

            if (!string.Equals(chained.PrevHash, expectedPrev, StringComparison.Ordinal))
            {
                return Broken(start, records, chained.Seq, $"event {chained.Seq} does not link to the hash of event {chained.Seq - 1}");
            }

            if (!string.Equals(AuditChain.ComputeHash(chained.Event, chained.Seq, chained.PrevHash), chained.Hash, StringComparison.Ordinal))
            {
                return Broken(start, records, chained.Seq, $"event {chained.Seq} was changed after it was chained");
            }

            // The head is read first and only ever moves forward: the event at its seq must be it (later ones may arrive meanwhile).
            if (chained.Seq == head.Seq && !string.Equals(chained.Hash, head.Hash, StringComparison.Ordinal))
            {
                return Broken(start, records, chained.Seq, $"event {chained.Seq} is not the recorded head");
            }

            if (inRange.Contains(chained.Seq))
            {
                var anchor = chained.Seq == anchored[^1] ? latest : await anchors.FindAsync(tenantId, chained.Seq, cancellationToken);
                if (await ProblemWithAsync(tenantId, anchor, chained.Seq, cancellationToken) is { } problem)
                {
                    return Broken(start, records, chained.Seq, problem);
                }

                if (anchor!.Anchor.Hash != chained.Hash)
                {
                    return Broken(start, records, chained.Seq, $"event {chained.Seq} differs from its signed anchor");
                }
            }

            expectedPrev = chained.Hash;
            expectedSeq++;
            records++;
        }

        var lastSeq = expectedSeq - 1;
        if (lastSeq < head.Seq)
        {
            return Broken(start, records, lastSeq + 1, $"the chain ends at seq {lastSeq}, but its recorded head is seq {head.Seq}: events were removed");
        }

        if (await chain.OldestPendingAsync(tenantId, cancellationToken) is { } pending && clock.GetUtcNow() - pending.Event.At > MaxUnchainedAge)
        {
            return Broken(start, records, start + records, $"event {pending.Event.EventId} has waited more than {MaxUnchainedAge.TotalSeconds:0} s to be chained");
        }

        return new(new ChainVerification(true, start, records, expectedPrev, null, null), anchored.Count);
    }

    /// <summary>Why an anchor proves nothing (missing, another tenant's, an unknown key, a bad signature), or null.</summary>
    private async Task<string?> ProblemWithAsync(string tenantId, SignedAnchor? anchor, long seq, CancellationToken cancellationToken)
    {
        if (anchor is null)
        {
            return $"the anchor at seq {seq} is unreadable";
        }

        if (!signer.IsKnownKey(anchor.Anchor.KeyId))
        {
            return $"the anchor at seq {seq} is signed by an unknown key ({anchor.Anchor.KeyId})";
        }

        if (!await signer.VerifyAsync(anchor.Payload, anchor.Signature, anchor.Anchor.KeyId, cancellationToken))
        {
            return $"the anchor at seq {seq} has an invalid signature";
        }

        return anchor.Anchor.Seq != seq || anchor.Anchor.TenantId != tenantId ? $"the anchor stored at seq {seq} signs another seq or tenant" : null;
    }
}
