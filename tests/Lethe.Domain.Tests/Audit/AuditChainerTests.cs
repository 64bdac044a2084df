using System.Globalization;
using System.Text.Json;
using Lethe.Domain.Audit;

namespace Lethe.Domain.Tests.Audit;

public sealed class AuditChainerTests
{
    private const string Tenant = "t1-acme";
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    private static string JournalKey(int n) => string.Create(CultureInfo.InvariantCulture, $"EVENT#{Start.AddMilliseconds(n):yyyyMMddHHmmssfff}#evt-{n:000000}");

    private static void Journal(InMemoryAuditChainStore store, int from, int count, bool indexed = true)
    {
        for (var n = from; n < from + count; n++)
        {
            store.Append(JournalKey(n), new AuditEvent(
                $"evt-{n:000000}", Tenant, Start.AddMilliseconds(n), new AuditActor("app", "service"), "record.read", $"record/r-{n}", "success",
                JsonDocument.Parse("{}").RootElement.Clone()), indexed);
        }
    }

    /// <summary>Every link points at the hash of the one before, seqs run 1..n without a gap, each journal event appears once.</summary>
    private static void ShouldBeOneUnbrokenChain(IReadOnlyList<ChainedAuditEvent> chain, int events)
    {
        chain.Select(c => c.Seq).Should().Equal(Enumerable.Range(1, events).Select(n => (long)n));
        chain.Select(c => c.Event.EventId).Should().OnlyHaveUniqueItems().And.HaveCount(events);
        var previous = AuditChain.GenesisHash;
        foreach (var link in chain)
        {
            link.PrevHash.Should().Be(previous);
            AuditChain.ComputeHash(link.Event, link.Seq, link.PrevHash).Should().Be(link.Hash);
            previous = link.Hash;
        }
    }

    [Fact]
    public async Task A_page_of_100_pending_events_is_linked_in_three_writes_whatever_the_chain_already_holds()
    {
        var store = new InMemoryAuditChainStore();
        Journal(store, 0, 1_000);
        await new AuditChainer(store).ChainPendingAsync(Tenant, TestContext.Current.CancellationToken);
        var writesBefore = store.LinkWrites;

        Journal(store, 1_000, 100);
        var linked = await new AuditChainer(store).ChainPendingAsync(Tenant, TestContext.Current.CancellationToken);

        linked.Should().Be(100);
        (store.LinkWrites - writesBefore).Should().Be(3, "49 + 49 + 2 events, one transaction each, however long the chain is");
        ShouldBeOneUnbrokenChain(store.Chain, 1_100);
    }

    [Fact]
    public async Task An_event_the_pending_index_does_not_show_yet_is_linked_when_its_stream_batch_names_it()
    {
        var store = new InMemoryAuditChainStore();
        Journal(store, 0, 3);
        Journal(store, 3, 2, indexed: false);

        var linked = await new AuditChainer(store).ChainPendingAsync(Tenant, [JournalKey(3), JournalKey(4)], TestContext.Current.CancellationToken);

        linked.Should().Be(5);
        ShouldBeOneUnbrokenChain(store.Chain, 5);
        store.Chain.Select(c => c.Event.EventId).Should().Equal(Enumerable.Range(0, 5).Select(n => $"evt-{n:000000}"), "journal order is kept");
    }

    [Fact]
    public async Task A_replayed_stream_batch_links_nothing_twice()
    {
        var store = new InMemoryAuditChainStore();
        Journal(store, 0, 60);
        var batch = Enumerable.Range(0, 60).Select(JournalKey).ToList();
        await new AuditChainer(store).ChainPendingAsync(Tenant, batch, TestContext.Current.CancellationToken);

        var again = await new AuditChainer(store).ChainPendingAsync(Tenant, batch, TestContext.Current.CancellationToken);

        again.Should().Be(0);
        ShouldBeOneUnbrokenChain(store.Chain, 60);
    }

    [Fact]
    public async Task Two_chainers_racing_over_one_tenant_never_fork_the_chain()
    {
        var store = new InMemoryAuditChainStore();
        Journal(store, 0, 500);

        var counts = await Task.WhenAll(
            Task.Run(() => new AuditChainer(store).ChainPendingAsync(Tenant, TestContext.Current.CancellationToken)),
            Task.Run(() => new AuditChainer(store).ChainPendingAsync(Tenant, TestContext.Current.CancellationToken)));

        counts.Sum().Should().Be(500, "each event is linked by exactly one of them");
        ShouldBeOneUnbrokenChain(store.Chain, 500);
    }
}
