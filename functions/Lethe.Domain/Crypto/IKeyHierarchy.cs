namespace Lethe.Domain.Crypto;

/// <summary>
/// The key hierarchy of DESIGN.md: tenant key (KMS) → subject KEK (a KMS data key, stored only wrapped) → per-value DEK.
/// A port: KMS + DynamoDB in Lethe.Aws.
/// </summary>
public interface IKeyHierarchy
{
    /// <summary>
    /// The subject's KEK, created on first use. Warm calls are answered from memory (no KMS call, no read): a writer proves
    /// the KEK is still the stored one inside its write's own transaction (<see cref="Records.IRecordStore.CreateAsync"/>),
    /// and on <see cref="KekReplacedException"/> refreshes it and seals again.
    /// </summary>
    Task<SubjectKek> GetOrCreateSubjectKekAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken);

    /// <summary>The subject's KEK, or null when it was shredded (or never existed): its envelopes can no longer be opened.</summary>
    Task<SubjectKek?> FindSubjectKekAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken);

    /// <summary>Forgets any cached KEK of the subject and loads the stored one (after another process replaced it).</summary>
    Task<SubjectKek?> RefreshSubjectKekAsync(string tenantId, string tenantKeyArn, string subjectRef, CancellationToken cancellationToken);

    /// <summary>The tenant's key for <see cref="SubjectRef"/> (HMAC of subject ids), created on first use and cached.</summary>
    Task<SubjectKek> GetOrCreateSubjectRefKeyAsync(string tenantId, string tenantKeyArn, CancellationToken cancellationToken);

    /// <summary>Crypto-shreds a subject: deletes its wrapped KEK and forgets any cached copy. Idempotent.</summary>
    Task ShredSubjectAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);
}

/// <summary>
/// The subject's KEK is no longer the one a write sealed under (another process shredded or replaced it meanwhile): nothing
/// was written; refresh the KEK and seal again.
/// </summary>
public sealed class KekReplacedException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.KekReplaced";
}

/// <summary>The tenant's key is disabled, pending deletion or otherwise unusable (a revoked BYOK key): 423 in the API.</summary>
public sealed class TenantKeyUnavailableException(string message, Exception? inner = null) : Errors.LetheException(message, inner)
{
    public override string ErrorType => "Lethe.TenantKeyUnavailable";
}
