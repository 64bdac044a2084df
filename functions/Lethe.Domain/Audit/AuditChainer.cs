using Lethe.Domain.Errors;

namespace Lethe.Domain.Audit;

public sealed record ChainHead(long Seq, string Hash)
{
    public static ChainHead Empty { get; } = new(0, AuditChain.GenesisHash);
}

/// <summary>A journal event waiting to be chained, with the key that orders arrival.</summary>
public sealed record PendingAuditEvent(string JournalKey, AuditEvent Event);

/// <summary>One link of a write: the journal event and what it becomes in the chain.</summary>
public sealed record AuditLink(PendingAuditEvent Pending, ChainedAuditEvent Chained);

/// <summary>The chain's storage: head, pending journal events, and the one conditional write that links an event. A port.</summary>
public interface IAuditChainStore
{
    Task<ChainHead> ReadHeadAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>Journal events not yet chained, in arrival order (journal key order).</summary>
    Task<IReadOnlyList<PendingAuditEvent>> ReadPendingAsync(string tenantId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Of the named journal events (at most <see cref="AuditChainer.PageSize"/>), those that exist and are not chained yet, read
    /// consistently: the pending index may not show an event that was just written, and the chainer must not leave it behind.
    /// </summary>
    Task<IReadOnlyList<PendingAuditEvent>> ReadUnchainedAsync(string tenantId, IReadOnlyCollection<string> journalKeys, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically writes the chained events (at most <see cref="AuditChainer.LinksPerWrite"/>, consecutive from
    /// <paramref name="expectedHead"/>), moves the head to the last of them and marks their journal events chained. False when
    /// any condition failed (another chainer moved the head, or an event is chained already); then nothing was written.
    /// </summary>
    Task<bool> TryLinkAsync(string tenantId, ChainHead expectedHead, IReadOnlyList<AuditLink> links, CancellationToken cancellationToken);

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
/// Links a tenant's journal events into its hash chain in arrival order. Each write links up to <see cref="LinksPerWrite"/>
/// events at once, conditional on the head it started from, so a replayed batch changes nothing, concurrent chainers cannot
/// fork the chain (the loser re-reads the head and goes on), and a page of events costs a bounded number of calls whatever
/// the chain's length: one read of the pending index, one of the head, one of the hinted events, and a write per 49 events.
/// </summary>
public sealed class AuditChainer(IAuditChainStore store)
{
    public const int PageSize = 100;

    /// <summary>A DynamoDB transaction holds up to 100 actions: the head's move and two per event (its link and its journal mark).</summary>
    public const int LinksPerWrite = 49;

    private const int MaxConflicts = 50;

    /// <returns>How many events this call linked.</returns>
    public Task<int> ChainPendingAsync(string tenantId, CancellationToken cancellationToken) =>
        ChainPendingAsync(tenantId, [], cancellationToken);

    /// <param name="hinted">Journal keys known to have been written (a stream batch's): linked even before the pending index shows them.</param>
    /// <returns>How many events this call linked.</returns>
    public async Task<int> ChainPendingAsync(string tenantId, IReadOnlyCollection<string> hinted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hinted);
        var linked = 0;
        var conflicts = 0;
        var unseen = new HashSet<string>(hinted, StringComparer.Ordinal);
        while (true)
        {
            var pending = await ReadCandidatesAsync(tenantId, unseen, cancellationToken);
            if (pending.Count == 0)
            {
                return linked;
            }

            var head = await store.ReadHeadAsync(tenantId, cancellationToken);
            foreach (var group in pending.Chunk(LinksPerWrite))
            {
                var links = new List<AuditLink>(group.Length);
                var at = head;
                foreach (var evt in group)
                {
                    var chained = AuditChain.Link(evt.Event, at.Seq, at.Hash);
                    links.Add(new AuditLink(evt, chained));
                    at = new ChainHead(chained.Seq, chained.Hash);
                }

                if (await store.TryLinkAsync(tenantId, head, links, cancellationToken))
                {
                    head = at;
                    linked += links.Count;
                    unseen.ExceptWith(group.Select(e => e.JournalKey));
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

    /// <summary>A page of the pending index, with the hinted events it does not show yet, in journal order.</summary>
    private async Task<IReadOnlyList<PendingAuditEvent>> ReadCandidatesAsync(string tenantId, HashSet<string> unseen, CancellationToken cancellationToken)
    {
        var pending = await store.ReadPendingAsync(tenantId, PageSize, cancellationToken);
        unseen.ExceptWith(pending.Select(p => p.JournalKey));
        if (unseen.Count == 0)
        {
            return pending;
        }

        var asked = unseen.Take(PageSize).ToList();
        var hinted = await store.ReadUnchainedAsync(tenantId, asked, cancellationToken);
        // What is chained already (or was never written) needs no more looking for.
        unseen.ExceptWith(asked.Except(hinted.Select(p => p.JournalKey), StringComparer.Ordinal));
        return [.. pending.Concat(hinted).DistinctBy(p => p.JournalKey).OrderBy(p => p.JournalKey, StringComparer.Ordinal)];
    }
}
