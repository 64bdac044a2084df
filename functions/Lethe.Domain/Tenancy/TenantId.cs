using System.Diagnostics.CodeAnalysis;

namespace Lethe.Domain.Tenancy;

/// <summary>
/// Tenant ids are 3–40 characters of <c>[a-z0-9-]</c> (API.md) when a tenant is created with <c>PUT /v1/tenants/{t}</c>.
/// Under <c>./lethe up</c> "a local user can start with any tenant id" (API.md), so local auto-provisioning and the routes accept
/// any well-formed id (1–40 of the same alphabet, e.g. <c>t1</c>): safe as a key prefix, never a path or expression injection.
/// </summary>
public static class TenantId
{
    public const int MinLength = 3;
    public const int MaxLength = 40;

    /// <summary>The rule for creating a tenant: 3–40 characters of <c>[a-z0-9-]</c>.</summary>
    public static bool IsValid([NotNullWhen(true)] string? value) => value is { Length: >= MinLength } && IsWellFormed(value);

    /// <summary>The rule for reading one and for local auto-provisioning: 1–40 characters of <c>[a-z0-9-]</c>.</summary>
    public static bool IsWellFormed([NotNullWhen(true)] string? value)
    {
        if (value is null || value.Length is < 1 or > MaxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Data subject ids: 1–128 characters of <c>[A-Za-z0-9._@:-]</c> (API.md). Stored only as a subject ref.</summary>
public static class SubjectId
{
    public const int MaxLength = 128;

    /// <summary>What a validation problem says about a bad subject id.</summary>
    public const string Rule = "A subject id is 1–128 characters of [A-Za-z0-9._@:-].";

    public static bool IsValid([NotNullWhen(true)] string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or ':' or '-');
}
