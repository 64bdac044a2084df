namespace Lethe.Domain.Tenancy;

public enum TenantState
{
    Active,
    Offboarding,
    Terminated,
}

/// <summary>A tenant. <see cref="TimeScale"/> divides policy durations locally and is always 1 in AWS.</summary>
public sealed record Tenant(string Id, string Name, TenantState State, DateTimeOffset CreatedAt, int TimeScale)
{
    /// <summary>The tenant's KMS key (created on first need for platform-managed keys).</summary>
    public string? KeyArn { get; init; }

    /// <summary>True when <see cref="KeyArn"/> is the tenant's own key (BYOK), not one Lethe created.</summary>
    public bool ByokKey { get; init; }

    /// <summary>
    /// A key rotation under way: the key new data is sealed under from its start (every KEK written meanwhile is born under it),
    /// until the rotation switches <see cref="KeyArn"/> to it. Reads never need it: each wrapped key records its own key.
    /// </summary>
    public string? NextKeyArn { get; init; }

    public bool NextKeyByok { get; init; }

    /// <summary>
    /// Platform keys a rotation left that stored objects still need (S3 keeps each object's data key under the key it was
    /// written with): still the tenant's, so offboarding schedules their deletion with the tenant key's.
    /// </summary>
    public IReadOnlyList<string> RetainedKeyArns { get; init; } = [];

    /// <summary>The key new data is sealed under: the rotation's target while one runs, else the tenant key.</summary>
    public string? SealingKeyArn => NextKeyArn ?? KeyArn;

    public Policies.RetentionSettings Retention { get; init; } = Policies.RetentionSettings.Initial;

    /// <summary>The categories whose items are archived, not purged, when their retention ends (none by default).</summary>
    public Policies.ArchiveSettings Archive { get; init; } = Policies.ArchiveSettings.None;

    /// <summary>Per category, whether an erasure deletes (the default) or masks the subject's records.</summary>
    public Policies.ErasureSettings Erasure { get; init; } = Policies.ErasureSettings.Default;

    /// <summary>How the tenant's privacy requests run: approval, the deadline they are held to, who is told by e-mail.</summary>
    public Policies.RequestSettings Requests { get; init; } = Policies.RequestSettings.Default;

    /// <summary>
    /// The notifications topic's e-mail subscriptions made for this tenant (address → subscription ARN), as the subscriptions
    /// workflow recorded them: what the next change of <c>notifications.emails</c> works from.
    /// </summary>
    public IReadOnlyDictionary<string, string> EmailSubscriptions { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The stored version this copy was read at (0: not stored yet); every save is conditional on it.</summary>
    public long Version { get; init; }

    public const int MaxNameLength = 200;

    public static string StateName(TenantState state) => state switch
    {
        TenantState.Active => "active",
        TenantState.Offboarding => "offboarding",
        TenantState.Terminated => "terminated",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown tenant state."),
    };

    public static TenantState ParseState(string value) => value switch
    {
        "active" => TenantState.Active,
        "offboarding" => TenantState.Offboarding,
        "terminated" => TenantState.Terminated,
        _ => throw new FormatException($"Unknown tenant state '{value}'."),
    };
}
