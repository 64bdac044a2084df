using Lethe.Domain.Errors;

namespace Lethe.Domain.Audit;

public sealed record ChainHead(long Seq, string Hash)
{
    public static ChainHead Empty { get; } = new(0, AuditChain.GenesisHash);
}

/// <summary>A journal event waiting to be chained, with the key that orders arrival.</summary>
public sealed record PendingAuditEvent(string JournalKey, AuditEvent Event);

/// <summary>The chain's storage: head, pending journal events, and the one conditional write that links an event. A port.</summary>
public interface IAuditChainStore
{
    Task<ChainHead> ReadHeadAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>Journal events not yet chained, in arrival order (journal key order).</summary>
    Task<IReadOnlyList<PendingAuditEvent>> ReadPendingAsync(string tenantId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically writes the chained event, moves the head from <paramref name="expectedHead"/> to it and marks the journal event
    /// chained. False when any condition failed (another chainer moved the head, or the event is chained already).
    /// </summary>
    Task<bool> TryLinkAsync(string tenantId, ChainHead expectedHead, PendingAuditEvent pending, ChainedAuditEvent chained, CancellationToken cancellationToken);

    /// <summary>The oldest journal event not yet chained, if any.</summary>
    Task<PendingAuditEvent?> OldestPendingAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>Chained events from <paramref name="fromSeq"/> on, in seq order, read page by page (never all at once).</summary>
    IAsyncEnumerable<ChainedAuditEvent> ReadChainAsync(string tenantId, long fromSeq, CancellationToken cancellationToken);

    /// <summary>One chained event, or null when the chain has no event at <paramref name="seq"/>.</summary>
    Task<ChainedAuditEvent?> FindAsync(string tenantId, long seq, CancellationToken cancellationToken);

    /// <summary>
    /// Chained events whose time is in <c>[since, until)</c> (API.md: from, to), in time order, read through the time index page by page (never a
    /// scan of the chain); <paramref name="after"/> continues after a position this method returned.
    /// </summary>
    IAsyncEnumerable<(ChainedAuditEvent Event, string Position)> ReadByTimeAsync(string tenantId, DateTimeOffset? since, DateTimeOffset? until, string? after, CancellationToken cancellationToken);
}

/// <summary>
/// Links a tenant's journal events into its hash chain in arrival order. Every link is one conditional write, so a replayed
/// batch changes nothing, and concurrent chainers cannot fork the chain: the loser re-reads the head and goes on.
/// </summary>
public sealed class AuditChainer(IAuditChainStore store)
{
    public const int PageSize = 100;
    private const int MaxConflicts = 50;

    /// <returns>How many events this call linked.</returns>
    public async Task<int> ChainPendingAsync(string tenantId, CancellationToken cancellationToken)
    {
        var linked = 0;
        var conflicts = 0;
        while (true)
        {
            var pending = await store.ReadPendingAsync(tenantId, PageSize, cancellationToken);
            if (pending.Count == 0)
            {
                return linked;
            }

            var head = await store.ReadHeadAsync(tenantId, cancellationToken);
            foreach (var evt in pending)
            {
                var chained = AuditChain.Link(evt.Event, head.Seq, head.Hash);
                if (await store.TryLinkAsync(tenantId, head, evt, chained, cancellationToken))
                {
                    head = new ChainHead(chained.Seq, chained.Hash);
                    linked++;
                    continue;
                }

                if (++conflicts > MaxConflicts)
                {
                    throw new TransientException($"The audit chain of tenant {tenantId} kept moving under this chainer; retry.");
                }

                break; // Re-read head and pending: another chainer linked something.
            }
        }
    }
}
