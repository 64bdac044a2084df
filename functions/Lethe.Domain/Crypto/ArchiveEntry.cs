using System.Security.Cryptography;
using System.Text;

namespace Lethe.Domain.Crypto;

/// <summary>
/// One record's entry in a shared archived object, sealed under a key of its own (AES-256-GCM, the item's id, tenant and subject
/// as associated data). The key lives only on the record's inventory item and goes when the item is purged, so a record
/// purged (or never moved) while its archived object lives on is unreadable there: an archived object can hold several
/// records that meet their ends apart, and Glacier objects cannot be rewritten without a restore.
/// </summary>
public static class ArchiveEntry
{
    public const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>A fresh key for one entry.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>nonce ‖ ciphertext ‖ tag.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> key, string tenantId, string subjectRef, string itemId)
    {
        var sealedEntry = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedEntry.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedEntry.AsSpan(NonceSize, plaintext.Length), sealedEntry.AsSpan(NonceSize + plaintext.Length), Aad(tenantId, subjectRef, itemId));
        return sealedEntry;
    }

    /// <exception cref="CryptographicException">The entry is not this item's, or the key is not its key.</exception>
    public static byte[] Open(ReadOnlySpan<byte> sealedEntry, ReadOnlySpan<byte> key, string tenantId, string subjectRef, string itemId)
    {
        if (sealedEntry.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("An archive entry is shorter than its nonce and tag.");
        }

        var length = sealedEntry.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedEntry[..NonceSize], sealedEntry.Slice(NonceSize, length), sealedEntry[(NonceSize + length)..], plaintext, Aad(tenantId, subjectRef, itemId));
        return plaintext;
    }

    private static byte[] Aad(string tenantId, string subjectRef, string itemId) => Encoding.UTF8.GetBytes($"lethe-archive\n{tenantId}\n{subjectRef}\n{itemId}");
}
