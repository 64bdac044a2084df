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
        Header = FieldEnvelope.Header(keyId);
    }

    public string KeyId { get; }

    internal byte[] Key { get; }

    /// <summary>
    /// A key of its own for one purpose, derived from this one with HKDF-SHA256 (the tenant's subject-ref key seals connector
    /// secrets through it; the same bytes never serve both HMAC and AES-GCM). The caller disposes it.
    /// </summary>
    public SubjectKek Derive(string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        var derived = HKDF.DeriveKey(HashAlgorithmName.SHA256, Key, KeySize, salt: [], info: Encoding.UTF8.GetBytes("lethe:" + purpose));
        return new SubjectKek(purpose, derived);
    }

    /// <summary>The envelope header this KEK seals under (it names the KEK), built once.</summary>
    internal byte[] Header { get; }

    // One AES-GCM instance per KEK: its key schedule is built once, not for every value sealed or opened under it. AesGcm
    // is not documented as safe for concurrent use, so a short lock guards it (an operation on a 32-byte DEK takes about a
    // microsecond).
    private readonly Lock _gate = new();
    private AesGcm? _cipher;

    /// <summary>Only under <see cref="_gate"/>.</summary>
    private AesGcm Cipher => _cipher ??= new AesGcm(Key, FieldEnvelope.TagSize);

    internal void WrapDek(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> dek, Span<byte> wrapped, Span<byte> tag, ReadOnlySpan<byte> aad)
    {
        lock (_gate)
        {
            Cipher.Encrypt(nonce, dek, wrapped, tag, aad);
        }
    }

    internal void UnwrapDek(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> tag, Span<byte> dek, ReadOnlySpan<byte> aad)
    {
        lock (_gate)
        {
            Cipher.Decrypt(nonce, wrapped, tag, dek, aad);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _cipher?.Dispose();
            _cipher = null;
            CryptographicOperations.ZeroMemory(Key);
        }
    }
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
    internal const int TagSize = 16;
    private const int DekSize = 32;
    private const int WrappedDekSize = NonceSize + DekSize + TagSize;
    private static readonly byte[] Magic = "LE"u8.ToArray();

    public static byte[] Seal(ReadOnlySpan<byte> plaintext, SubjectKek kek, EnvelopeContext context)
    {
        ArgumentNullException.ThrowIfNull(kek);
        // Every byte is written by the seal (header, wrapped DEK, nonce, tag, ciphertext): no need to zero it first.
        var envelope = GC.AllocateUninitializedArray<byte>(SealedLength(plaintext.Length, kek));
        Seal(plaintext, kek, context, envelope);
        return envelope;
    }

    /// <summary>The length of the envelope of a <paramref name="plaintextLength"/>-byte value under <paramref name="kek"/>.</summary>
    public static int SealedLength(int plaintextLength, SubjectKek kek)
    {
        ArgumentNullException.ThrowIfNull(kek);
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        return kek.Header.Length + WrappedDekSize + NonceSize + TagSize + plaintextLength;
    }

    /// <summary>
    /// Seals into <paramref name="destination"/> (exactly <see cref="SealedLength"/> bytes), for a caller that owns its buffers
    /// (a stream writer, a pool): the same envelope as <see cref="Seal(ReadOnlySpan{byte}, SubjectKek, EnvelopeContext)"/>.
    /// </summary>
    public static void Seal(ReadOnlySpan<byte> plaintext, SubjectKek kek, EnvelopeContext context, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(kek);
        ArgumentNullException.ThrowIfNull(context);
        if (destination.Length != SealedLength(plaintext.Length, kek))
        {
            throw new ArgumentException($"The envelope of {plaintext.Length} bytes takes exactly {SealedLength(plaintext.Length, kek)} bytes.", nameof(destination));
        }

        var header = kek.Header;
        header.CopyTo(destination);
        var wrapped = destination.Slice(header.Length, WrappedDekSize);
        var valueNonce = destination.Slice(header.Length + WrappedDekSize, NonceSize);
        var valueTag = destination.Slice(header.Length + WrappedDekSize + NonceSize, TagSize);
        var ciphertext = destination[(header.Length + WrappedDekSize + NonceSize + TagSize)..];
        var (dekAad, valueAad) = Aads(header, context);

        // One draw for the DEK and both nonces, from a block of CSPRNG bytes (a platform call per seal cost more than the seal).
        Span<byte> random = stackalloc byte[DekSize + NonceSize + NonceSize];
        KeyMaterialRandom.Fill(random);
        var dek = random[..DekSize];
        try
        {
            random.Slice(DekSize, NonceSize).CopyTo(wrapped[..NonceSize]);
            random.Slice(DekSize + NonceSize, NonceSize).CopyTo(valueNonce);
            kek.WrapDek(wrapped[..NonceSize], dek, wrapped.Slice(NonceSize, DekSize), wrapped[(NonceSize + DekSize)..], dekAad);
            using var aes = new AesGcm(dek, TagSize);
            aes.Encrypt(valueNonce, plaintext, ciphertext, valueTag, valueAad);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(random);
        }
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
        var header = envelope[..headerLength];
        var body = envelope[headerLength..];
        if (body.Length < WrappedDekSize + NonceSize + TagSize)
        {
            throw new EnvelopeException("tampered", "The envelope is truncated.");
        }

        var wrapped = body[..WrappedDekSize];
        var valueNonce = body.Slice(WrappedDekSize, NonceSize);
        var valueTag = body.Slice(WrappedDekSize + NonceSize, TagSize);
        var ciphertext = body[(WrappedDekSize + NonceSize + TagSize)..];
        var (dekAad, valueAad) = Aads(header, context);
        Span<byte> dek = stackalloc byte[DekSize];
        try
        {
            kek.UnwrapDek(wrapped[..NonceSize], wrapped.Slice(NonceSize, DekSize), wrapped[(NonceSize + DekSize)..], dek, dekAad);
            var plaintext = GC.AllocateUninitializedArray<byte>(ciphertext.Length);
            using var aes = new AesGcm(dek, TagSize);
            aes.Decrypt(valueNonce, ciphertext, valueTag, plaintext, valueAad);
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

    internal static byte[] Header(string keyId)
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
        ArgumentNullException.ThrowIfNull(part);
        var (prefix, suffix) = Binding(context);
        var json = new StringBuilder(part.Length + 2);
        CanonicalJson.AppendString(json, part);
        return Aad(header, prefix, Encoding.UTF8.GetBytes(json.ToString()), suffix);
    }

    private static readonly byte[] DekPart = "\"dek\""u8.ToArray();
    private static readonly byte[] ValuePart = "\"value\""u8.ToArray();

    /// <summary>Both AADs of one envelope (the DEK's and the value's), the binding's JSON encoded once.</summary>
    private static (byte[] Dek, byte[] Value) Aads(ReadOnlySpan<byte> header, EnvelopeContext context)
    {
        var (prefix, suffix) = Binding(context);
        return (Aad(header, prefix, DekPart, suffix), Aad(header, prefix, ValuePart, suffix));
    }

    /// <summary>The binding's canonical JSON around its part: <c>{"field":…,"part":</c> and <c>,"record":…,"v":1}</c>.</summary>
    private static (byte[] Prefix, byte[] Suffix) Binding(EnvelopeContext context)
    {
        var prefix = new StringBuilder(48).Append("{\"field\":");
        CanonicalJson.AppendString(prefix, context.Field);
        prefix.Append(",\"part\":");
        var suffix = new StringBuilder(160).Append(",\"record\":");
        CanonicalJson.AppendString(suffix, context.RecordId);
        suffix.Append(",\"subject\":");
        CanonicalJson.AppendString(suffix, context.SubjectRef);
        suffix.Append(",\"tenant\":");
        CanonicalJson.AppendString(suffix, context.TenantId);
        suffix.Append(",\"v\":").Append(FormatVersion).Append('}');
        return (Encoding.UTF8.GetBytes(prefix.ToString()), Encoding.UTF8.GetBytes(suffix.ToString()));
    }

    private static byte[] Aad(ReadOnlySpan<byte> header, byte[] prefix, byte[] part, byte[] suffix)
    {
        var aad = new byte[4 + header.Length + prefix.Length + part.Length + suffix.Length];
        var at = aad.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(at, header.Length);
        header.CopyTo(at[4..]);
        at = at[(4 + header.Length)..];
        prefix.CopyTo(at);
        part.CopyTo(at[prefix.Length..]);
        suffix.CopyTo(at[(prefix.Length + part.Length)..]);
        return aad;
    }
}
