using System.Security.Cryptography;
using System.Text;

namespace Lethe.Domain.Crypto;

/// <summary>
/// The pseudonym a subject id is stored as everywhere (keys, indexes, audit, KMS contexts, logs): lowercase hex
/// HMAC-SHA-256 of the id under the tenant's subject-ref key. Without the key the id cannot be recovered or guessed by
/// hashing candidates; with it, the same id always maps to the same ref.
/// </summary>
public static class SubjectRef
{
    public const int KeySize = 32;

    public static string Compute(SubjectKek tenantSubjectRefKey, string subjectId)
    {
        ArgumentNullException.ThrowIfNull(tenantSubjectRefKey);
        return Compute(tenantSubjectRefKey.Key, subjectId);
    }

    public static string Compute(ReadOnlySpan<byte> tenantSubjectRefKey, string subjectId)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        if (tenantSubjectRefKey.Length != KeySize)
        {
            throw new ArgumentException($"The subject-ref key is {KeySize} bytes.", nameof(tenantSubjectRefKey));
        }

        return Convert.ToHexStringLower(HMACSHA256.HashData(tenantSubjectRefKey, Encoding.UTF8.GetBytes(subjectId)));
    }

    /// <summary>
    /// A keyed hash (HMAC-SHA-256 under the same tenant key) of other text that may contain a subject id or a caller's secret
    /// (an idempotency key, a request body), so what is stored reveals neither. <paramref name="purpose"/> separates the uses;
    /// it contains a line break, which no subject id can, so no such hash ever equals a subject ref.
    /// </summary>
    public static string Keyed(SubjectKek tenantSubjectRefKey, string purpose, string text)
    {
        ArgumentNullException.ThrowIfNull(tenantSubjectRefKey);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToHexStringLower(HMACSHA256.HashData(tenantSubjectRefKey.Key, Encoding.UTF8.GetBytes($"{purpose}\n{text}")));
    }
}
