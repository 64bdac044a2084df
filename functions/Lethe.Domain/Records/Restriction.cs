namespace Lethe.Domain.Records;

/// <summary>
/// Restriction of processing (GDPR Art. 18) of one subject: while <see cref="Restricted"/>, the subject's records are kept and
/// readable but nothing is derived from them and new uploads are stored without derivation. <see cref="Reason"/> says why (the
/// ground the controller accepted); it belongs to the subject's data and goes with it in an erasure.
/// </summary>
public sealed record RestrictionState(bool Restricted, string? Reason, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    /// <summary>The state of a subject whose processing was never restricted.</summary>
    public static RestrictionState None { get; } = new(false, null, DateTimeOffset.MinValue, string.Empty);
}

public sealed record RestrictionChange(bool Restricted, string? Reason, DateTimeOffset At, string By);

/// <summary>What a restriction's request must carry: a ground when restricting, and a reason short enough to be a reason.</summary>
public static class RestrictionRules
{
    public const int MaxReasonLength = 500;

    /// <summary>The problems of a requested change, by field (empty when it may be stored).</summary>
    public static Dictionary<string, string[]> Validate(bool? restricted, string? reason)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (restricted is null)
        {
            errors["restricted"] = ["restricted (true or false) is required."];
        }

        reason = reason?.Trim();
        if (reason is { Length: > MaxReasonLength })
        {
            errors["reason"] = [$"A reason is at most {MaxReasonLength} characters."];
        }
        else if (reason is not null && reason.Any(IsHidden))
        {
            errors["reason"] = ["A reason holds no control, format or separator characters."];
        }
        else if (restricted == true && string.IsNullOrWhiteSpace(reason))
        {
            errors["reason"] = ["A restriction names its ground (for example: accuracy contested, processing unlawful, objection pending)."];
        }

        return errors;
    }

    /// <summary>Characters a reader does not see or that reorder text (bidi controls, zero-width, line and paragraph separators).</summary>
    private static bool IsHidden(char c) => char.IsControl(c) || char.GetUnicodeCategory(c) is
        System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator;
}

/// <summary>
/// The restriction of each subject and its history, registered in the inventory (kind <c>restriction</c>) so that an erasure
/// purges it and an export shows it. A port.
/// </summary>
public interface IRestrictionStore
{
    /// <summary>
    /// Stores the state and appends the change to its history in one write, refused while the subject's erasure is open
    /// (<see cref="Errors.ErasureInProgressException"/>). Both directions are always stored: restricting protects the
    /// subject, and lifting is the controller's decision on the subject's request.
    /// </summary>
    Task SetAsync(string tenantId, string subjectRef, RestrictionState state, CancellationToken cancellationToken);

    /// <summary>The subject's current state (<see cref="RestrictionState.None"/> when never set), read consistently.</summary>
    Task<RestrictionState> GetAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);

    /// <summary>Every change, oldest first.</summary>
    Task<IReadOnlyList<RestrictionChange>> HistoryAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);
}
