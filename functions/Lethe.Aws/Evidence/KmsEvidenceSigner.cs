using System.Collections.Concurrent;
using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Lethe.Domain.Audit;

namespace Lethe.Aws.Evidence;

/// <summary>
/// KMS <c>ECDSA_SHA_256</c> on the P-256 signing key, <c>MessageType=RAW</c> (KMS hashes; payloads stay under 4 KB).
/// Verification needs no KMS call after the first: the public key is fetched once per key id and checked locally.
/// </summary>
/// <param name="previousKeyIds">Signing keys that signed before the current one; they stay published and trusted.</param>
public sealed class KmsEvidenceSigner(IAmazonKeyManagementService kms, string signingKeyId, IReadOnlyCollection<string>? previousKeyIds = null) : IEvidenceSigner
{
    public const int MaxRawMessage = 4096;
    private readonly ConcurrentDictionary<string, byte[]> _publicKeys = new(StringComparer.Ordinal);

    public string KeyId { get; } = signingKeyId;

    public IReadOnlyCollection<string> PreviousKeyIds { get; } = previousKeyIds ?? [];

    public bool IsKnownKey(string keyId) => keyId == KeyId || PreviousKeyIds.Contains(keyId, StringComparer.Ordinal);

    public async Task<byte[]> SignAsync(byte[] payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length > MaxRawMessage)
        {
            throw new ArgumentException($"KMS signs RAW messages of at most {MaxRawMessage} bytes; this one has {payload.Length}.", nameof(payload));
        }

        var response = await kms.SignAsync(new SignRequest
        {
            KeyId = KeyId,
            Message = new MemoryStream(payload),
            MessageType = MessageType.RAW,
            SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
        }, cancellationToken);
        return response.Signature.ToArray();
    }

    public async Task<byte[]> PublicKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        if (_publicKeys.TryGetValue(keyId, out var cached))
        {
            return cached;
        }

        var response = await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = keyId }, cancellationToken);
        return _publicKeys[keyId] = response.PublicKey.ToArray();
    }

    public async Task<bool> VerifyAsync(byte[] payload, byte[] signature, string keyId, CancellationToken cancellationToken)
    {
        if (!IsKnownKey(keyId))
        {
            // Never fetch a key an attacker names: a signature by a key of their own proves nothing.
            return false;
        }

        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(await PublicKeyAsync(keyId, cancellationToken), out _);
        return ecdsa.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }
}
