using Microsoft.Extensions.Options;

namespace Lethe.Api.Configuration;

public enum AuthMode
{
    /// <summary>Tokens signed with the dev key under <c>.lethe/</c> (what <c>./lethe token</c> prints). Local stage only.</summary>
    Local,

    /// <summary>Tokens from an identity provider: issuer, audience and a JWKS URL from configuration.</summary>
    Jwks,
}

/// <summary>Bound from the <c>Lethe</c> configuration section (environment: <c>Lethe__Stage</c>, <c>Lethe__Auth__Mode</c>, …).</summary>
public sealed class LetheApiOptions
{
    public const string Section = "Lethe";

    /// <summary><c>local</c> (the local cloud, tests) or <c>aws</c>.</summary>
    public string Stage { get; set; } = "aws";

    /// <summary>The default tenant time scale (DESIGN.md's time model). Local stage only; always 1 in AWS.</summary>
    public int DefaultTimeScale { get; set; } = 1;

    /// <summary>Create a tenant on its first authorized request (the local developer experience of API.md). Local stage only.</summary>
    public bool AutoProvisionTenants { get; set; }

    public AuthOptions Auth { get; set; } = new();

    /// <summary>Signing keys that signed earlier certificates and stay published by id (the current key is always published).</summary>
    public List<string> PreviousSigningKeyIds { get; set; } = [];

    /// <summary>The per-tenant rate limit of API.md (token bucket); configurable per stage.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>
    /// How long a tenant's profile (state, settings, key) read for the guard is reused before it is read again: a change made
    /// by another process (another API instance, a workflow) shows within this time; 0 reads it on every request.
    /// </summary>
    public int TenantCacheSeconds { get; set; } = 5;

    public bool IsLocal => string.Equals(Stage, "local", StringComparison.Ordinal);
}

/// <summary>A token bucket per tenant (API.md: 50 requests/s with bursts of 100 by default); beyond it, 429 with Retry-After.</summary>
public sealed class RateLimitOptions
{
    public int PermitsPerSecond { get; set; } = 50;

    public int Burst { get; set; } = 100;
}

public sealed class AuthOptions
{
    public AuthMode Mode { get; set; } = AuthMode.Jwks;

    public string Issuer { get; set; } = string.Empty;

    public string Audience { get; set; } = string.Empty;

    public string? JwksUrl { get; set; }

    /// <summary>The dev signing key file (local mode; <c>./lethe up</c> passes <c>.lethe/dev-jwt.key</c> of the repository).</summary>
    public string? DevKeyFile { get; set; }

    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Rejects configurations that would start an API that is unsafe or cannot work, with every reason at once.</summary>
public sealed class LetheApiOptionsValidator : IValidateOptions<LetheApiOptions>
{
    public ValidateOptionsResult Validate(string? name, LetheApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Stage is not ("local" or "aws"))
        {
            failures.Add($"Lethe:Stage must be 'local' or 'aws', not '{options.Stage}'.");
        }

        if (options.DefaultTimeScale < 1)
        {
            failures.Add("Lethe:DefaultTimeScale must be an integer of at least 1.");
        }

        if (!options.IsLocal && options.DefaultTimeScale != 1)
        {
            failures.Add("Lethe:DefaultTimeScale is a local-only setting; in AWS it must be 1.");
        }

        if (!options.IsLocal && options.AutoProvisionTenants)
        {
            failures.Add("Lethe:AutoProvisionTenants is a local-only setting; in AWS tenants are created with PUT /v1/tenants/{t}.");
        }

        var auth = options.Auth;
        if (string.IsNullOrWhiteSpace(auth.Issuer))
        {
            failures.Add("Lethe:Auth:Issuer is required.");
        }

        if (string.IsNullOrWhiteSpace(auth.Audience))
        {
            failures.Add("Lethe:Auth:Audience is required.");
        }

        if (auth.Mode == AuthMode.Local && !options.IsLocal)
        {
            failures.Add("Lethe:Auth:Mode 'Local' (the dev signing key) is refused outside the local stage.");
        }

        if (auth.Mode == AuthMode.Local && string.IsNullOrWhiteSpace(auth.DevKeyFile))
        {
            failures.Add("Lethe:Auth:DevKeyFile is required in Local mode (./lethe up passes .lethe/dev-jwt.key).");
        }

        if (auth.Mode == AuthMode.Jwks)
        {
            if (!Uri.TryCreate(auth.JwksUrl, UriKind.Absolute, out var jwks))
            {
                failures.Add("Lethe:Auth:JwksUrl must be an absolute URL in Jwks mode.");
            }
            else if (jwks.Scheme != Uri.UriSchemeHttps && !(options.IsLocal && jwks.IsLoopback))
            {
                failures.Add("Lethe:Auth:JwksUrl must use https.");
            }
        }

        if (options.TenantCacheSeconds is < 0 or > 60)
        {
            failures.Add("Lethe:TenantCacheSeconds must be 0–60 (a tenant that is offboarded or reconfigured must show within a minute).");
        }

        if (options.RateLimit.PermitsPerSecond is < 1 or > 100_000)
        {
            failures.Add("Lethe:RateLimit:PermitsPerSecond must be 1–100000.");
        }

        if (options.RateLimit.Burst < options.RateLimit.PermitsPerSecond || options.RateLimit.Burst > 1_000_000)
        {
            failures.Add("Lethe:RateLimit:Burst must be at least PermitsPerSecond and at most 1000000.");
        }

        if (auth.JwksRefreshInterval < TimeSpan.FromMinutes(1))
        {
            failures.Add("Lethe:Auth:JwksRefreshInterval must be at least one minute.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
