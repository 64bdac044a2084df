namespace Lethe.Domain.Tenancy;

public enum TenantState
{
    Active,
    Offboarding,
    Terminated,
}

/// <summary>A tenant as the API shows it. <see cref="TimeScale"/> divides policy durations locally and is always 1 in AWS.</summary>
public sealed record Tenant(string Id, string Name, TenantState State, DateTimeOffset CreatedAt, int TimeScale)
{
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
