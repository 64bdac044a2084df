using System.Security.Cryptography;

namespace Lethe.Domain.Crypto;

/// <summary>
/// Random bytes for DEKs and nonces, drawn from the platform CSPRNG a block at a time. On this kind of machine one
/// <see cref="RandomNumberGenerator.Fill"/> costs about 2 µs whatever its size up to a few KB (the call, not the bytes, is the
/// price: more than an AES-GCM operation on 256 bytes), so a seal that drew its 56 bytes directly paid more for the draw than for
/// its two encryptions. A block of <see cref="BlockSize"/> bytes serves about 70 seals.
/// </summary>
/// <remarks>
/// Each thread has its own block (no lock, and no byte is ever seen by two callers). What stays in memory is at most one block of
/// bytes not yet handed out; they become keys only when handed out, and the process holds the subjects' KEKs in memory anyway,
/// which are worth more than future DEKs. The block is pinned, so the garbage collector never leaves a copy of it behind.
/// A memory snapshot restored into several processes would hand the same bytes to each: no function may run with one
/// (Lambda SnapStart); a cdk test holds every function to the provided.al2023 runtime, which has none.
/// </remarks>
internal static class KeyMaterialRandom
{
    internal const int BlockSize = 4096;

    [ThreadStatic]
    private static RandomBlock? t_block;

    /// <summary>Fills <paramref name="destination"/> with fresh CSPRNG bytes that no other caller has received.</summary>
    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > BlockSize / 8)
        {
            // Large draws are rare (no key is this long): straight from the platform, the block kept for small ones.
            RandomNumberGenerator.Fill(destination);
            return;
        }

        (t_block ??= new RandomBlock(BlockSize)).Fill(destination);
    }
}

/// <summary>
/// One block of CSPRNG bytes served front to back, each byte once: a served byte is zeroed in the block as it is handed out, so
/// nothing that became a key can be read from the block afterwards. Not thread-safe (<see cref="KeyMaterialRandom"/> keeps one per
/// thread).
/// </summary>
internal sealed class RandomBlock
{
    private readonly byte[] _block;
    private readonly Action<byte[]> _refill;
    private int _next;

    /// <param name="size">Bytes per refill.</param>
    /// <param name="refill">Fills the whole block: the platform CSPRNG (tests pass a known pattern to see what is served).</param>
    public RandomBlock(int size, Action<byte[]>? refill = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 64);
        // Pinned: a block the GC compacted would leave a stale copy of future keys in memory that no zeroing reaches.
        _block = GC.AllocateArray<byte>(size, pinned: true);
        _refill = refill ?? (block => RandomNumberGenerator.Fill(block));
        _next = size;
    }

    /// <summary>The block as it lies in memory (served bytes zeroed, the rest not yet handed out).</summary>
    internal ReadOnlySpan<byte> InMemory => _block;

    public void Fill(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(destination.Length, _block.Length, nameof(destination));
        if (_block.Length - _next < destination.Length)
        {
            _refill(_block);
            _next = 0;
        }

        var served = _block.AsSpan(_next, destination.Length);
        served.CopyTo(destination);
        CryptographicOperations.ZeroMemory(served);
        _next += destination.Length;
    }
}
