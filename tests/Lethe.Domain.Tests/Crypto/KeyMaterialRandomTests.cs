using Lethe.Domain.Crypto;

namespace Lethe.Domain.Tests.Crypto;

public sealed class KeyMaterialRandomTests
{
    /// <summary>A block whose refills write a known, never repeating sequence (1, 2, 3, … as 16-bit counters), to see what is served.</summary>
    private static (RandomBlock Block, Func<int> Refills) Counting(int size)
    {
        var refills = 0;
        ushort next = 1;
        var block = new RandomBlock(size, bytes =>
        {
            refills++;
            for (var i = 0; i + 1 < bytes.Length; i += 2)
            {
                bytes[i] = (byte)(next >> 8);
                bytes[i + 1] = (byte)next;
                next++;
            }
        });
        return (block, () => refills);
    }

    [Fact]
    public void Each_draw_is_the_next_unserved_bytes_of_the_block_and_nothing_is_served_twice()
    {
        var (block, _) = Counting(256);
        var first = new byte[56];
        var second = new byte[56];

        block.Fill(first);
        block.Fill(second);

        first.Should().Equal(Enumerable.Range(1, 28).SelectMany(n => new[] { (byte)(n >> 8), (byte)n }));
        second.Should().Equal(Enumerable.Range(29, 28).SelectMany(n => new[] { (byte)(n >> 8), (byte)n }));
    }

    [Fact]
    public void Every_byte_handed_out_is_zeroed_in_the_block_and_the_rest_is_untouched()
    {
        var (block, _) = Counting(256);

        block.Fill(new byte[56]);
        block.Fill(new byte[44]);

        block.InMemory[..100].ToArray().Should().OnlyContain(b => b == 0, "what became keys cannot be read from the block");
        block.InMemory[100..].ToArray().Should().Contain(b => b != 0, "bytes not yet handed out are still there");
    }

    [Fact]
    public void A_draw_that_does_not_fit_what_is_left_is_served_whole_from_a_fresh_block()
    {
        var (block, refills) = Counting(100);
        block.Fill(new byte[60]);

        var next = new byte[60];
        block.Fill(next);

        refills().Should().Be(2);
        next.Should().Equal(Enumerable.Range(51, 30).SelectMany(n => new[] { (byte)(n >> 8), (byte)n }), "the fresh block's first bytes, never the wiped rest of the old one");
    }

    [Fact]
    public void A_block_of_the_platform_generator_never_serves_the_same_bytes_twice_across_its_refills()
    {
        var block = new RandomBlock(256);
        var served = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < 1_000; i++)
        {
            var key = new byte[32];
            block.Fill(key);
            served.Add(Convert.ToHexString(key)).Should().BeTrue($"draw {i} must not repeat an earlier one");
        }
    }

    [Fact]
    public void A_draw_larger_than_the_block_is_refused()
    {
        var (block, _) = Counting(64);

        var act = () => block.Fill(new byte[65]);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Threads_drawing_at_the_same_moment_never_receive_the_same_bytes()
    {
        const int threads = 4;
        var draws = new List<string>[threads];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var mine = new List<string>();
            start.SignalAndWait();
            for (var i = 0; i < 2_000; i++)
            {
                var key = new byte[32];
                KeyMaterialRandom.Fill(key);
                mine.Add(Convert.ToHexString(key));
            }

            draws[t] = mine;
        })).ToList();

        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        draws.SelectMany(d => d).Should().HaveCount(threads * 2_000).And.OnlyHaveUniqueItems();
    }

    [Fact]
    public void A_draw_larger_than_an_eighth_of_a_block_comes_straight_from_the_platform_and_is_filled_to_its_end()
    {
        var large = new byte[KeyMaterialRandom.BlockSize * 2];

        KeyMaterialRandom.Fill(large);

        large.AsSpan(large.Length - 64).ToArray().Should().Contain(b => b != 0);
    }
}
