using Microsoft.AspNetCore.Mvc;

namespace Lethe.Api.Problems;

/// <summary>
/// RFC 9457 problem types of the API. The <c>type</c> URI names the problem; clients switch on its last segment
/// (<c>legal-hold</c>, <c>erasure-in-progress</c>, …). Details never echo secrets, stack traces or another tenant's data.
/// </summary>
public static class ProblemTypes
{
    public const string Base = "https://lethe.dev/problems/";

    public static string Uri(string slug) => Base + slug;

    public static IResult Unauthorized(HttpContext context) =>
        Create(context, StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized", "A valid bearer token is required.");

    public static IResult Forbidden(HttpContext context) =>
        Create(context, StatusCodes.Status403Forbidden, "forbidden", "Forbidden", "This token may not do this in this tenant.");

    public static IResult TenantGone(HttpContext context) =>
        Create(context, StatusCodes.Status410Gone, "tenant-terminated", "Tenant terminated", "This tenant has been terminated.");

    public static IResult NotFound(HttpContext context, string what) =>
        Create(context, StatusCodes.Status404NotFound, "not-found", "Not found", $"No {what} with this id exists in this tenant.");

    /// <summary>A field name as a problem may echo it: at most <see cref="MaxEchoedName"/> characters, control characters dropped.</summary>
    public static string ShortName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var clean = new string(name.Where(c => !char.IsControl(c)).Take(MaxEchoedName + 1).ToArray());
        return clean.Length > MaxEchoedName ? clean[..MaxEchoedName] + "…" : clean;
    }

    /// <summary>An error never echoes more of the caller's input than a short prefix (a 1 MB name comes back as 64 characters).</summary>
    public const int MaxEchoedName = 64;

    /// <summary>400 with <c>errors</c> keyed by field (API.md); nothing was changed.</summary>
    public static IResult Validation(HttpContext context, IReadOnlyDictionary<string, string[]> errors, string slug = "validation")
    {
        ArgumentNullException.ThrowIfNull(errors);
        var named = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (field, messages) in errors)
        {
            var key = ShortName(field);
            named[key] = named.TryGetValue(key, out var earlier) ? [.. earlier, .. messages] : messages;
        }

        return Create(context, StatusCodes.Status400BadRequest, slug, "The request is not valid",
            $"{named.Count} field(s) are not valid: {string.Join(", ", named.Keys.Take(10))}{(named.Count > 10 ? ", …" : "")}. Nothing was changed.",
            named);
    }

    /// <summary>409 with the conflicting job named (<c>jobId</c>), e.g. <c>erasure-in-progress</c>.</summary>
    public static IResult Conflict(HttpContext context, string slug, string title, string detail, string? jobId = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problem = new ProblemDetails { Type = Uri(slug), Title = title, Status = StatusCodes.Status409Conflict, Detail = detail, Instance = context.Request.Path };
        if (jobId is not null)
        {
            problem.Extensions["jobId"] = jobId;
        }

        return Results.Problem(problem);
    }

    /// <summary>429 with <c>Retry-After</c> (from the limiter's lease): the tenant's token bucket is empty; nothing was done.</summary>
    public static IResult TooManyRequests(HttpContext context, System.Threading.RateLimiting.RateLimitLease lease, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(lease);
        var retryAfter = lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Create(context, StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests", $"{detail} Nothing was done; retry after {retryAfter} s.");
    }

    public static IResult Create(HttpContext context, int status, string slug, string title, string detail, IDictionary<string, string[]>? errors = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problem = errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(errors);
        problem.Type = Uri(slug);
        problem.Title = title;
        problem.Status = status;
        problem.Detail = detail;
        problem.Instance = context.Request.Path;
        return Results.Problem(problem);
    }
}
