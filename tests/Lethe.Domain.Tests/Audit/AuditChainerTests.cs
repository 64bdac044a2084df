using System.Globalization;
using System.Text.Json;
using Lethe.Domain.Audit;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Audit;

public sealed class AuditChainerTests
{
    private const string Tenant = "t1-acme";
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);

    private static string JournalKey(int n) => string.Create(CultureInfo.InvariantCulture, $"EVENT#{Start.AddMilliseconds(n):yyyyMMddHHmmssfff}#evt-{n:000000}");

    private static AuditEvent Event(int n) => new(
        $"evt-{n:000000}", Tenant, Start.AddMilliseconds(n), new AuditActor("app", "service"), "record.read", $"record/r-{n}", "success",
        JsonDocument.Parse("{}").RootElement.Clone());

    private static void Journal(InMemoryAuditChainStore store, int from, int count, bool indexed = true)
    {
        for (var n = from; n < from + count; n++)
        {
            store.Append(JournalKey(n), Event(n), indexed);
        }
    }

    /// <summary>What a stream batch names for journal events <paramref name="from"/>.. (their keys).</summary>
    private static List<string> Arrived(int from, int count) => [.. Enumerable.Range(from, count).Select(JournalKey)];

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
        await new AuditChainer(store, _clock).ChainPendingAsync(Tenant, TestContext.Current.CancellationToken);
        var writesBefore = store.LinkWrites;

        Journal(store, 1_000, 100);
        var linked = await new AuditChainer(store, _clock).ChainPendingAsync(Tenant, TestContext.Current.CancellationToken);

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

        var linked = await new AuditChainer(store, _clock).ChainArrivedAsync(Tenant, Arrived(3, 2), TestContext.Current.CancellationToken);

        linked.Should().Be(5);
        ShouldBeOneUnbrokenChain(store.Chain, 5);
        store.Chain.Select(c => c.Event.EventId).Should().Equal(Enumerable.Range(0, 5).Select(n => $"evt-{n:000000}"), "journal order is kept");
    }

    [Fact]
    public async Task A_stream_batch_is_linked_by_key_without_reading_the_pending_index_between_sweeps()
    {
        var store = new InMemoryAuditChainStore();
        var chainer = new AuditChainer(store, _clock);
        await chainer.ChainArrivedAsync(Tenant, [], TestContext.Current.CancellationToken);
        var sweeps = store.PendingReads;
        Journal(store, 0, 130);

        var linked = await chainer.ChainArrivedAsync(Tenant, Arrived(0, 130), TestContext.Current.CancellationToken);

        linked.Should().Be(130);
        store.PendingReads.Should().Be(sweeps, "the batch names its events");
        (store.HintReads, store.HeadReads, store.LinkWrites).Should().Be((2, 2, 4),
            "one read by key and one head read per chunk of 100 and 30 events; writes link 49 + 49 + 2 and 30 events");
        ShouldBeOneUnbrokenChain(store.Chain, 130);
    }

    [Fact]
    public async Task An_event_whose_stream_batch_never_came_is_linked_by_the_next_sweep()
    {
        var store = new InMemoryAuditChainStore();
        var chainer = new AuditChainer(store, _clock);
        await chainer.ChainArrivedAsync(Tenant, [], TestContext.Current.CancellationToken);
        Journal(store, 0, 1);
        Journal(store, 1, 1);

        await chainer.ChainArrivedAsync(Tenant, Arrived(1, 1), TestContext.Current.CancellationToken);
        store.Chain.Should().ContainSingle("event 0's batch was given up on, and the last sweep is recent");
        _clock.Advance(AuditChainer.SweepInterval);
        Journal(store, 2, 1);
        await chainer.ChainArrivedAsync(Tenant, Arrived(2, 1), TestContext.Current.CancellationToken);

        ShouldBeOneUnbrokenChain(store.Chain, 3);
        store.Chain.Select(c => c.Event.EventId).Should().Contain("evt-000000");
    }

    [Fact]
    public async Task A_batch_naming_events_that_were_never_written_links_nothing()
    {
        var store = new InMemoryAuditChainStore();
        Journal(store, 0, 2);
        var chainer = new AuditChainer(store, _clock);
        await chainer.ChainPendingAsync(Tenant, TestContext.Current.CancellationToken);

        var linked = await chainer.ChainArrivedAsync(Tenant, [JournalKey(7), "EVENT#forged"], TestContext.Current.CancellationToken);

        linked.Should().Be(0, "only what the journal holds is chained");
        ShouldBeOneUnbrokenChain(store.Chain, 2);
    }

    [Fact]
    public async Task A_replayed_stream_batch_links_nothing_twice()
    {
        var store = new InMemoryAuditChainStore();
        Journal(store, 0, 60);
        await new AuditChainer(store, _clock).ChainArrivedAsync(Tenant, Arrived(0, 60), TestContext.Current.CancellationToken);

        var again = await new AuditChainer(store, _clock).ChainArrivedAsync(Tenant, Arrived(0, 60), TestContext.Current.CancellationToken);

        again.Should().Be(0);
        ShouldBeOneUnbrokenChain(store.Chain, 60);
    }

    [Fact]
    public async Task Two_chainers_racing_over_one_tenant_never_fork_the_chain()
    {
        var store = new InMemoryAuditChainStore();
        Journal(store, 0, 500);

        var counts = await Task.WhenAll(
            Task.Run(() => new AuditChainer(store, _clock).ChainPendingAsync(Tenant, TestContext.Current.CancellationToken)),
            Task.Run(() => new AuditChainer(store, _clock).ChainPendingAsync(Tenant, TestContext.Current.CancellationToken)));

        counts.Sum().Should().Be(500, "each event is linked by exactly one of them");
        ShouldBeOneUnbrokenChain(store.Chain, 500);
    }
}
