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
    /// <summary>Sets the consent and appends the change to its history in one write.</summary>
    Task SetAsync(string tenantId, string subjectRef, ConsentState state, CancellationToken cancellationToken);

    Task<IReadOnlyList<ConsentState>> ListAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);

    Task<IReadOnlyList<ConsentChange>> HistoryAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);
}
