using Lethe.Domain.Crypto;

namespace Lethe.Domain.Tests.Crypto;

public sealed class KeyMaterialRandomTests
{
    [Fact]
    public void A_block_never_serves_the_same_bytes_twice_across_its_refills()
    {
        var block = new RandomBlock(256);
        var served = new HashSet<string>(StringComparer.Ordinal);

        // 1,000 draws of 32 bytes: the block refills 125 times.
        for (var i = 0; i < 1_000; i++)
        {
            var key = new byte[32];
            block.Fill(key);
            served.Add(Convert.ToHexString(key)).Should().BeTrue($"draw {i} must not repeat an earlier one");
        }
    }

    [Fact]
    public void Bytes_handed_out_as_a_key_can_no_longer_be_read_from_the_block()
    {
        var block = new RandomBlock(256);

        for (var i = 0; i < 40; i++)
        {
            var dekAndNonces = new byte[56];
            block.Fill(dekAndNonces);

            block.InMemory.IndexOf(dekAndNonces).Should().Be(-1, $"draw {i} was handed out and must be wiped from the block");
            dekAndNonces.Should().Contain(b => b != 0, "the draw is random bytes, not the wiped block");
        }
    }

    [Fact]
    public void A_draw_that_does_not_fit_what_is_left_is_served_whole_from_a_fresh_block()
    {
        var block = new RandomBlock(100);
        block.Fill(new byte[60]);

        var next = new byte[60];
        block.Fill(next);

        next.Count(b => b == 0).Should().BeLessThan(8, "a draw is never pieced together from wiped bytes");
    }

    [Fact]
    public void A_draw_larger_than_the_block_is_refused()
    {
        var block = new RandomBlock(64);

        var act = () => block.Fill(new byte[65]);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task Threads_drawing_at_once_never_receive_the_same_bytes()
    {
        var draws = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 500).Select(_ =>
            {
                var key = new byte[32];
                KeyMaterialRandom.Fill(key);
                return Convert.ToHexString(key);
            }).ToList())));

        draws.SelectMany(d => d).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void A_draw_larger_than_an_eighth_of_a_block_comes_straight_from_the_platform_and_is_filled_to_its_end()
    {
        var large = new byte[KeyMaterialRandom.BlockSize * 2];

        KeyMaterialRandom.Fill(large);

        large.AsSpan(large.Length - 64).ToArray().Should().Contain(b => b != 0);
    }
}
