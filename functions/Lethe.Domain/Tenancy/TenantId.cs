using System.Diagnostics.CodeAnalysis;

namespace Lethe.Domain.Tenancy;

/// <summary>Tenant ids are 3–40 characters of <c>[a-z0-9-]</c> (API.md). Every key in every store starts with one.</summary>
public static class TenantId
{
    public const int MinLength = 3;
    public const int MaxLength = 40;

    public static bool IsValid([NotNullWhen(true)] string? value)
    {
        if (value is null || value.Length is < MinLength or > MaxLength)
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
