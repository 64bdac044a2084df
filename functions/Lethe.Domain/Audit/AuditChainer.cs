using System.Collections.Concurrent;
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
    /// consistently by key: the pending index may not show an event that was just written.
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
/// Links a tenant's journal events into its hash chain. A stream batch names the events to link, which are read back by key;
/// the pending index is swept too, at most once per <see cref="SweepInterval"/> per tenant and process (on the tenant's next
/// batch), for events whose batch never arrived (a batch the event source gave up on). Each write links up to
/// <see cref="LinksPerWrite"/> events, conditional on the head it started from and on each event being unchained, so a replayed
/// batch changes nothing and concurrent chainers cannot fork the chain (the loser re-reads the head and the events, and goes
/// on). A batch of n events costs one read of the head, one read of the events per 100 and one write per 49, whatever the
/// chain's length; the pending index is not read for it.
/// </summary>
public sealed class AuditChainer(IAuditChainStore store, TimeProvider clock)
{
    public const int PageSize = 100;

    /// <summary>A DynamoDB transaction holds up to 100 actions: the head's move and two per event (its link and its journal mark).</summary>
    public const int LinksPerWrite = 49;

    /// <summary>How often a process sweeps a tenant's pending index besides linking what its stream batches name.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(5);

    private const int MaxConflicts = 50;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _sweptAt = new(StringComparer.Ordinal);

    /// <summary>Links every pending event of the tenant (the pending index, page by page).</summary>
    /// <returns>How many events this call linked.</returns>
    public async Task<int> ChainPendingAsync(string tenantId, CancellationToken cancellationToken)
    {
        _sweptAt[tenantId] = clock.GetUtcNow();
        return await LinkAllAsync(tenantId, ct => store.ReadPendingAsync(tenantId, PageSize, ct), fixedKeys: false, cancellationToken);
    }

    /// <param name="journalKeys">
    /// The journal events a stream batch named. They are read back by key (consistently, 100 to a read) and linked unless
    /// chained already (a replayed batch): the chain is built from what the table holds, never from what an invocation says.
    /// </param>
    /// <returns>How many events this call linked.</returns>
    public async Task<int> ChainArrivedAsync(string tenantId, IReadOnlyCollection<string> journalKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(journalKeys);
        var linked = 0;
        if (!_sweptAt.TryGetValue(tenantId, out var swept) || clock.GetUtcNow() - swept >= SweepInterval)
        {
            // Older stragglers first, so the chain keeps arrival order where it can.
            linked += await ChainPendingAsync(tenantId, cancellationToken);
        }

        foreach (var chunk in journalKeys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Chunk(PageSize))
        {
            linked += await LinkAllAsync(tenantId, ct => store.ReadUnchainedAsync(tenantId, chunk, ct), fixedKeys: true, cancellationToken);
        }

        return linked;
    }

    /// <summary>
    /// Links what <paramref name="readPending"/> returns (unchained events) until it returns none, or, for a fixed set of keys
    /// (<paramref name="fixedKeys"/>), until one read's events are all linked without a conflict.
    /// </summary>
    private async Task<int> LinkAllAsync(
        string tenantId, Func<CancellationToken, Task<IReadOnlyList<PendingAuditEvent>>> readPending, bool fixedKeys, CancellationToken cancellationToken)
    {
        var linked = 0;
        var conflicts = 0;
        while (true)
        {
            var pending = await readPending(cancellationToken);
            if (pending.Count == 0)
            {
                return linked;
            }

            var head = await store.ReadHeadAsync(tenantId, cancellationToken);
            var conflicted = false;
            foreach (var group in pending.OrderBy(p => p.JournalKey, StringComparer.Ordinal).Chunk(LinksPerWrite))
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
                    continue;
                }

                if (++conflicts > MaxConflicts)
                {
                    throw new TransientException($"The audit chain of tenant {tenantId} kept moving under this chainer; retry.");
                }

                conflicted = true;
                break; // Re-read head and pending: another chainer linked something.
            }

            if (fixedKeys && !conflicted)
            {
                return linked;
            }
        }
    }
}
