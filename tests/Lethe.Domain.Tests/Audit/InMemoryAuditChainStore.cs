using System.Runtime.CompilerServices;
using Lethe.Domain.Audit;

namespace Lethe.Domain.Tests.Audit;

/// <summary>
/// The chain store of one tenant in memory, with DynamoDB's transaction semantics for a link (all or nothing, conditional on
/// the head and on each event being unchained) and a pending index that can lag behind the journal like a GSI.
/// </summary>
public sealed class InMemoryAuditChainStore : IAuditChainStore
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, (AuditEvent Event, bool Chained)> _journal = new(StringComparer.Ordinal);
    private readonly List<ChainedAuditEvent> _chain = [];
    private readonly HashSet<string> _notYetIndexed = new(StringComparer.Ordinal);
    private ChainHead _head = ChainHead.Empty;

    public int PendingReads { get; private set; }

    public int HeadReads { get; private set; }

    public int HintReads { get; private set; }

    public int LinkWrites { get; private set; }

    public IReadOnlyList<ChainedAuditEvent> Chain
    {
        get
        {
            lock (_gate)
            {
                return [.. _chain];
            }
        }
    }

    /// <param name="indexed">False: the pending index does not show the event yet (a GSI that has not caught up).</param>
    public void Append(string journalKey, AuditEvent evt, bool indexed = true)
    {
        lock (_gate)
        {
            _journal[journalKey] = (evt, false);
            if (!indexed)
            {
                _notYetIndexed.Add(journalKey);
            }
        }
    }

    public Task<ChainHead> ReadHeadAsync(string tenantId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            HeadReads++;
            return Task.FromResult(_head);
        }
    }

    public Task<IReadOnlyList<PendingAuditEvent>> ReadPendingAsync(string tenantId, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            PendingReads++;
            IReadOnlyList<PendingAuditEvent> page = [.. _journal
                .Where(e => !e.Value.Chained && !_notYetIndexed.Contains(e.Key))
                .Take(limit)
                .Select(e => new PendingAuditEvent(e.Key, e.Value.Event))];
            return Task.FromResult(page);
        }
    }

    public Task<IReadOnlyList<PendingAuditEvent>> ReadUnchainedAsync(string tenantId, IReadOnlyCollection<string> journalKeys, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            HintReads++;
            IReadOnlyList<PendingAuditEvent> found = [.. journalKeys
                .Where(k => _journal.TryGetValue(k, out var e) && !e.Chained)
                .Select(k => new PendingAuditEvent(k, _journal[k].Event))];
            return Task.FromResult(found);
        }
    }

    public Task<bool> TryLinkAsync(string tenantId, ChainHead expectedHead, IReadOnlyList<AuditLink> links, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            LinkWrites++;
            if (links.Count is 0 or > AuditChainer.LinksPerWrite)
            {
                throw new ArgumentOutOfRangeException(nameof(links));
            }

            if (_head != expectedHead || links.Any(l => _journal[l.Pending.JournalKey].Chained))
            {
                return Task.FromResult(false);
            }

            foreach (var link in links)
            {
                _journal[link.Pending.JournalKey] = (link.Pending.Event, true);
                _chain.Add(link.Chained);
            }

            _head = new ChainHead(links[^1].Chained.Seq, links[^1].Chained.Hash);
            return Task.FromResult(true);
        }
    }

    public async Task<PendingAuditEvent?> OldestPendingAsync(string tenantId, CancellationToken cancellationToken) =>
        await ReadPendingAsync(tenantId, 1, cancellationToken) is [var oldest, ..] ? oldest : null;

    public async IAsyncEnumerable<ChainedAuditEvent> ReadChainAsync(string tenantId, long fromSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var chained in Chain.Where(c => c.Seq >= fromSeq))
        {
            yield return chained;
        }
    }

    public Task<ChainedAuditEvent?> FindAsync(string tenantId, long seq, CancellationToken cancellationToken) =>
        Task.FromResult(Chain.FirstOrDefault(c => c.Seq == seq));

    public IAsyncEnumerable<(ChainedAuditEvent Event, string Position)> ReadByTimeAsync(string tenantId, DateTimeOffset? since, DateTimeOffset? until, string? after, CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}
