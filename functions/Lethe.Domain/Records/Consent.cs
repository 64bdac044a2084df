using System.Text.RegularExpressions;

namespace Lethe.Domain.Records;

/// <summary>A subject's consent to one purpose (for example <c>ai-processing</c>), with every change kept.</summary>
public sealed record ConsentState(string Purpose, bool Granted, DateTimeOffset UpdatedAt, string UpdatedBy);

public sealed record ConsentChange(string Purpose, bool Granted, DateTimeOffset At, string By);

public static partial class ConsentPurpose
{
    public const string AiProcessing = "ai-processing";

    public static bool IsValid(string? purpose) => purpose is not null && Pattern().IsMatch(purpose);

    [GeneratedRegex("^[a-z][a-z0-9-]{1,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>Consents of a subject (current state and history), registered in the inventory like any stored thing. A port.</summary>
public interface IConsentStore
{
    /// <summary>
    /// Sets the consent and appends the change to its history in one write, refused while the subject's erasure is open
    /// (<see cref="Errors.ErasureInProgressException"/>), and a grant refused while an erasure left this consent soft-deleted
    /// (<see cref="ConsentSoftDeletedException"/>): a write never brings back what an erasure hid. A withdrawal is always stored.
    /// </summary>
    Task SetAsync(string tenantId, string subjectRef, ConsentState state, CancellationToken cancellationToken);

    /// <summary>The subject's consents whose inventory item is active (a soft-deleted consent is hidden from every read and export).</summary>
    Task<IReadOnlyList<ConsentState>> ListAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);

    /// <summary>The history of the purposes <see cref="ListAsync"/> shows.</summary>
    Task<IReadOnlyList<ConsentChange>> HistoryAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);
}

/// <summary>An erasure (cancelled, its window still open) left this consent soft-deleted: restore it before changing it.</summary>
public sealed class ConsentSoftDeletedException(string purpose)
    : Errors.LetheException($"The consent to '{purpose}' was soft-deleted by an erasure; restore it (or let the window end) before changing it.")
{
    public override string ErrorType => "Lethe.ConsentSoftDeleted";
}
