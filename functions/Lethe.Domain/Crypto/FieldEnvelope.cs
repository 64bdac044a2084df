using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Lethe.Domain.Canonical;
using Lethe.Domain.Errors;

namespace Lethe.Domain.Crypto;

/// <summary>Where an encrypted value belongs. All of it is bound into the AAD: an envelope moved to another place fails to open.</summary>
public sealed record EnvelopeContext(string TenantId, string SubjectRef, string RecordId, string Field);

/// <summary>A subject's key-encryption key in plaintext, held only in memory (KMS keeps it wrapped at rest).</summary>
public sealed class SubjectKek : IDisposable
{
    public const int KeySize = 32;

    public SubjectKek(string keyId, byte[] key)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"A KEK is {KeySize} bytes.", nameof(key));
        }

        if (Encoding.ASCII.GetByteCount(keyId) != keyId.Length || keyId.Length > FieldEnvelope.MaxKeyIdLength)
        {
            throw new ArgumentException($"A KEK id is ASCII of at most {FieldEnvelope.MaxKeyIdLength} characters.", nameof(keyId));
        }

        KeyId = keyId;
        Key = key;
    }

    public string KeyId { get; }

    internal byte[] Key { get; }

    public void Dispose() => CryptographicOperations.ZeroMemory(Key);
}

/// <summary>The envelope cannot be opened: its key is gone, it was altered or moved, or its format is unknown.</summary>
public sealed class EnvelopeException(string reason, string message) : LetheException(message)
{
    /// <summary><c>key-shredded</c>, <c>tampered</c> or <c>unsupported-format</c>.</summary>
    public string Reason { get; } = reason;

    public override string ErrorType => "Lethe.EnvelopeUnreadable";
}

/// <summary>
/// Field-level encryption (DESIGN.md "Encryption"): every value gets a fresh random 256-bit DEK and AES-256-GCM; the DEK is
/// wrapped with the subject's KEK (AES-256-GCM as key wrap). Versioned, self-describing bytes:
/// <code>
/// "LE" | version 1 | algorithm 1 | kekId length | kekId (ASCII) | wrapped DEK: nonce 12, ciphertext 32, tag 16 | nonce 12 | tag 16 | ciphertext
/// </code>
/// AAD (for the DEK and the value) = the header bytes + RFC 8785 JSON of {v, tenant, subject, record, field, part}.
/// </summary>
public static class FieldEnvelope
{
    public const byte FormatVersion = 1;
    public const byte AlgorithmAesGcmWrapped = 1;
    public const int MaxKeyIdLength = 64;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int DekSize = 32;
    private const int WrappedDekSize = NonceSize + DekSize + TagSize;
    private static readonly byte[] Magic = "LE"u8.ToArray();

    public static byte[] Seal(ReadOnlySpan<byte> plaintext, SubjectKek kek, EnvelopeContext context)
    {
        ArgumentNullException.ThrowIfNull(kek);
        ArgumentNullException.ThrowIfNull(context);
        var header = Header(kek.KeyId);
        var size = header.Length + WrappedDekSize + NonceSize + TagSize + plaintext.Length;
        var envelope = new byte[size];
        header.CopyTo(envelope, 0);
        var wrapped = envelope.AsSpan(header.Length, WrappedDekSize);
        var valueNonce = envelope.AsSpan(header.Length + WrappedDekSize, NonceSize);
        var valueTag = envelope.AsSpan(header.Length + WrappedDekSize + NonceSize, TagSize);
        var ciphertext = envelope.AsSpan(header.Length + WrappedDekSize + NonceSize + TagSize);

        Span<byte> dek = stackalloc byte[DekSize];
        RandomNumberGenerator.Fill(dek);
        try
        {
            RandomNumberGenerator.Fill(wrapped[..NonceSize]);
            using (var wrap = new AesGcm(kek.Key, TagSize))
            {
                wrap.Encrypt(wrapped[..NonceSize], dek, wrapped.Slice(NonceSize, DekSize), wrapped[(NonceSize + DekSize)..], Aad(header, context, "dek"));
            }

            RandomNumberGenerator.Fill(valueNonce);
            using var aes = new AesGcm(dek, TagSize);
            aes.Encrypt(valueNonce, plaintext, ciphertext, valueTag, Aad(header, context, "value"));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }

        return envelope;
    }

    public static byte[] Open(ReadOnlySpan<byte> envelope, SubjectKek kek, EnvelopeContext context)
    {
        ArgumentNullException.ThrowIfNull(kek);
        ArgumentNullException.ThrowIfNull(context);
        var keyId = KeyIdOf(envelope);
        if (!string.Equals(keyId, kek.KeyId, StringComparison.Ordinal))
        {
            throw new EnvelopeException("key-shredded", $"The value was sealed under key {keyId}, which is not this subject's current key.");
        }

        var headerLength = 5 + keyId.Length;
        var header = envelope[..headerLength].ToArray();
        var body = envelope[headerLength..];
        if (body.Length < WrappedDekSize + NonceSize + TagSize)
        {
            throw new EnvelopeException("tampered", "The envelope is truncated.");
        }

        var wrapped = body[..WrappedDekSize];
        var valueNonce = body.Slice(WrappedDekSize, NonceSize);
        var valueTag = body.Slice(WrappedDekSize + NonceSize, TagSize);
        var ciphertext = body[(WrappedDekSize + NonceSize + TagSize)..];
        Span<byte> dek = stackalloc byte[DekSize];
        try
        {
            using (var unwrap = new AesGcm(kek.Key, TagSize))
            {
                unwrap.Decrypt(wrapped[..NonceSize], wrapped.Slice(NonceSize, DekSize), wrapped[(NonceSize + DekSize)..], dek, Aad(header, context, "dek"));
            }

            var plaintext = new byte[ciphertext.Length];
            using var aes = new AesGcm(dek, TagSize);
            aes.Decrypt(valueNonce, ciphertext, valueTag, plaintext, Aad(header, context, "value"));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new EnvelopeException("tampered", $"The envelope failed authentication (altered, or not sealed for this place): {ex.Message}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    /// <summary>
    /// Re-seals the DEK of an envelope under another KEK without touching the value (survivors of a shred get a fresh KEK).
    /// </summary>
    public static byte[] Rewrap(ReadOnlySpan<byte> envelope, SubjectKek from, SubjectKek to, EnvelopeContext context)
    {
        var plaintext = Open(envelope, from, context);
        try
        {
            return Seal(plaintext, to, context);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public static bool IsEnvelope(ReadOnlySpan<byte> bytes) => bytes.Length > 5 && bytes[0] == Magic[0] && bytes[1] == Magic[1];

    public static string KeyIdOf(ReadOnlySpan<byte> envelope)
    {
        if (!IsEnvelope(envelope))
        {
            throw new EnvelopeException("unsupported-format", "These bytes are not a Lethe field envelope.");
        }

        if (envelope[2] != FormatVersion || envelope[3] != AlgorithmAesGcmWrapped)
        {
            throw new EnvelopeException("unsupported-format", $"Envelope format {envelope[2]} / algorithm {envelope[3]} is not supported by this version.");
        }

        var length = envelope[4];
        if (length == 0 || length > MaxKeyIdLength || envelope.Length < 5 + length)
        {
            throw new EnvelopeException("tampered", "The envelope's key id is malformed.");
        }

        return Encoding.ASCII.GetString(envelope.Slice(5, length));
    }

    private static byte[] Header(string keyId)
    {
        var header = new byte[5 + keyId.Length];
        header[0] = Magic[0];
        header[1] = Magic[1];
        header[2] = FormatVersion;
        header[3] = AlgorithmAesGcmWrapped;
        header[4] = (byte)keyId.Length;
        Encoding.ASCII.GetBytes(keyId, header.AsSpan(5));
        return header;
    }

    /// <summary>
    /// The AAD: header length, header, then the RFC 8785 JSON of {field, part, record, subject, tenant, v} written directly
    /// (members already in canonical order), so sealing a small value does not pay for a JSON document round trip.
    /// </summary>
    internal static byte[] Aad(byte[] header, EnvelopeContext context, string part)
    {
        var json = new StringBuilder(160).Append("{\"field\":");
        CanonicalJson.AppendString(json, context.Field);
        json.Append(",\"part\":");
        CanonicalJson.AppendString(json, part);
        json.Append(",\"record\":");
        CanonicalJson.AppendString(json, context.RecordId);
        json.Append(",\"subject\":");
        CanonicalJson.AppendString(json, context.SubjectRef);
        json.Append(",\"tenant\":");
        CanonicalJson.AppendString(json, context.TenantId);
        json.Append(",\"v\":").Append(FormatVersion).Append('}');
        var canonical = Encoding.UTF8.GetBytes(json.ToString());
        var aad = new byte[4 + header.Length + canonical.Length];
        BinaryPrimitives.WriteInt32BigEndian(aad, header.Length);
        header.CopyTo(aad, 4);
        canonical.CopyTo(aad, 4 + header.Length);
        return aad;
    }
}
