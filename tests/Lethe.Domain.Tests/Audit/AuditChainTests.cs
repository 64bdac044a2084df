using System.Text.Json;
using Lethe.Domain.Audit;

namespace Lethe.Domain.Tests.Audit;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    private static AuditEvent Event(int n, string details = """{"fields":2}""") => new(
        $"evt-{n}", "t1-acme", Start.AddSeconds(n), new AuditActor("user-1", "tenant-admin"),
        "record.create", $"record/r-{n}", "success", JsonDocument.Parse(details).RootElement.Clone());

    private static List<ChainedAuditEvent> Chain(int count)
    {
        var chain = new List<ChainedAuditEvent>();
        var (seq, hash) = (0L, AuditChain.GenesisHash);
        for (var n = 1; n <= count; n++)
        {
            var linked = AuditChain.Link(Event(n), seq, hash);
            chain.Add(linked);
            (seq, hash) = (linked.Seq, linked.Hash);
        }

        return chain;
    }

    [Fact]
    public void The_first_event_links_to_64_zeros_and_hashes_are_lowercase_hex()
    {
        var first = Chain(1)[0];

        first.Seq.Should().Be(1);
        first.PrevHash.Should().Be(new string('0', 64));
        first.Hash.Should().MatchRegex("^[0-9a-f]{64}$");
    }

    [Fact]
    public void The_hash_is_SHA256_of_the_canonical_JSON_of_the_documented_fields()
    {
        var evt = Event(1);
        const string canonical = """{"action":"record.create","actor":{"role":"tenant-admin","sub":"user-1"},"at":"2026-11-25T09:00:01.000Z","details":{"fields":2},"outcome":"success","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"target":"record/r-1","tenantId":"t1-acme"}""";

        AuditChain.ComputeHash(evt, 1, AuditChain.GenesisHash).Should().Be(AuditChain.Sha256Hex(canonical));
    }

    [Fact]
    public void An_untouched_chain_verifies_and_reports_its_head()
    {
        var chain = Chain(5);

        AuditChain.Verify(chain, 1, AuditChain.GenesisHash).Should().Be(new ChainVerification(true, 1, 5, chain[^1].Hash, null, null));
    }

    [Fact]
    public void Changed_details_break_the_chain_at_that_seq()
    {
        var chain = Chain(5);
        chain[2] = chain[2] with { Event = chain[2].Event with { Details = JsonDocument.Parse("""{"fields":3}""").RootElement.Clone() } };

        var result = AuditChain.Verify(chain, 1, AuditChain.GenesisHash);

        (result.Valid, result.BrokenAt).Should().Be((false, 3L));
        result.Reason.Should().Contain("changed");
    }

    [Fact]
    public void A_deleted_event_breaks_the_chain_where_it_is_missing()
    {
        var chain = Chain(5);
        chain.RemoveAt(3);

        var result = AuditChain.Verify(chain, 1, AuditChain.GenesisHash);

        (result.Valid, result.BrokenAt).Should().Be((false, 4L));
        result.Reason.Should().Contain("missing");
    }

    [Fact]
    public void A_rechained_forgery_is_caught_by_the_next_event()
    {
        var chain = Chain(3);
        var forged = Event(2, """{"fields":99}""");
        chain[1] = AuditChain.Link(forged, 1, chain[0].Hash);

        var result = AuditChain.Verify(chain, 1, AuditChain.GenesisHash);

        (result.Valid, result.BrokenAt).Should().Be((false, 3L), "event 3 still links to the original hash of event 2");
    }

    [Fact]
    public void Verification_can_start_at_an_anchor()
    {
        var chain = Chain(6);

        var result = AuditChain.Verify(chain.Skip(3), 4, chain[2].Hash);

        (result.Valid, result.From, result.Records).Should().Be((true, 4L, 3L));
    }
}
