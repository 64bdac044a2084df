using System.Collections.Frozen;
using Lethe.Api.Auth;
using Lethe.Api.Configuration;
using Lethe.Api.Problems;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Lethe.Api.WebConsole;

public sealed record ConsoleConfig(bool DevSignIn);

public sealed record DevTokenRequest(string? Tenant, string? Role, string? Sub);

public sealed record DevToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// The admin console (<c>/admin</c>) and the data subject's privacy page (<c>/privacy</c>): plain HTML, CSS and JavaScript modules
/// embedded in this assembly (no CDN, no build step), served with a CSP that allows only this origin's scripts and styles (no
/// inline script at all). The pages call the public API with a bearer token held in sessionStorage, so they have no powers of
/// their own. Under the local stage (and only there) <c>POST /console/dev-token</c> mints a dev token, as <c>./lethe token</c> does.
/// </summary>
public static class ConsoleEndpoints
{
    /// <summary>What the pages may load: this origin only; no inline script or style, no framing, no plugins.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static readonly TimeSpan DevTokenLifetime = TimeSpan.FromHours(8);

    private const string ResourcePrefix = "console/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every embedded console file by its path under <c>/console/</c> (read once; the set is fixed at build time).</summary>
    private static readonly Lazy<FrozenDictionary<string, byte[]>> Files = new(LoadFiles);

    public static IEndpointRouteBuilder MapConsoleEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/admin", (HttpContext http) => Page(http, "admin.html")).ExcludeFromDescription().AllowAnonymous();
        routes.MapGet("/privacy", (HttpContext http) => Page(http, "privacy.html")).ExcludeFromDescription().AllowAnonymous();
        routes.MapGet("/console/config", (IOptions<LetheApiOptions> options) => TypedResults.Ok(new ConsoleConfig(DevSignInEnabled(options.Value))))
            .ExcludeFromDescription().AllowAnonymous();
        routes.MapPost("/console/dev-token", MintDevToken).ExcludeFromDescription().AllowAnonymous();
        routes.MapGet("/console/{**path}", (string path, HttpContext http) => Asset(http, path)).ExcludeFromDescription().AllowAnonymous();
        return routes;
    }

    /// <summary>The dev sign-in exists only where tokens are signed with the local dev key (<c>./lethe up</c>, tests).</summary>
    public static bool DevSignInEnabled(LetheApiOptions options) =>
        options.IsLocal && options.Auth.Mode == AuthMode.Local && options.Auth.DevKeyFile is not null;

    private static FileContentHttpResult Page(HttpContext http, string name)
    {
        SecureHeaders(http.Response);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Bytes(Files.Value[name], ContentTypes[".html"]);
    }

    private static IResult Asset(HttpContext http, string path)
    {
        if (path.EndsWith(".html", StringComparison.Ordinal) || !Files.Value.TryGetValue(path, out var bytes))
        {
            return ProblemTypes.NotFound(http, "console file");
        }

        SecureHeaders(http.Response);
        // Revalidated on each load, so a new deployment's scripts are never mixed with an old page.
        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(bytes, ContentTypes[Path.GetExtension(path)]);
    }

    private static void SecureHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }

    /// <summary>
    /// A dev token for the local sign-in form. It is refused (404, as if absent) outside the local stage. A cross-site page cannot
    /// use it: it requires a JSON body (a CORS preflight this API never grants) and a same-origin <c>Origin</c> when one is sent.
    /// </summary>
    private static IResult MintDevToken(DevTokenRequest? body, HttpContext http, IOptions<LetheApiOptions> options, TimeProvider clock)
    {
        if (!DevSignInEnabled(options.Value))
        {
            return ProblemTypes.NotFound(http, "route");
        }

        // A page of another site may not mint one: not through a rebound DNS name (the Host must be this machine's own name),
        // nor from another origin; and nobody on the network may, even with a forged Host (an API bound to every interface).
        if (!IsLoopbackHost(http.Request.Host.Host) || !FromThisMachine(http.Connection)
            || (http.Request.Headers.Origin is [{ } origin] && !SameOrigin(origin, http.Request)))
        {
            return ProblemTypes.Forbidden(http);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!TenantId.IsWellFormed(body?.Tenant))
        {
            errors["tenant"] = ["A tenant id is 1–40 characters of [a-z0-9-]."];
        }

        if (body?.Role is not { } role || !Roles.IsKnown(role))
        {
            errors["role"] = [$"One of: {string.Join(", ", Roles.All)}."];
        }

        if (body?.Sub is { } sub && !SubjectId.IsValid(sub))
        {
            errors["sub"] = [SubjectId.Rule];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var now = clock.GetUtcNow();
        var key = DevSigningKey.LoadOrCreate(options.Value.Auth.DevKeyFile!);
        var token = DevSigningKey.IssueToken(key, body!.Tenant!, [body.Role!], body.Sub ?? $"dev-{body.Role}", DevTokenLifetime, now);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new DevToken(token, now + DevTokenLifetime));
    }

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    /// <summary>A connection from this machine (an in-process test server has no remote address at all).</summary>
    private static bool FromThisMachine(ConnectionInfo connection) =>
        connection.RemoteIpAddress is not { } address || System.Net.IPAddress.IsLoopback(address);

    private static bool IsLoopbackHost(string host) =>
        host is "localhost" or "127.0.0.1" or "[::1]" or "::1";

    private static FrozenDictionary<string, byte[]> LoadFiles()
    {
        var assembly = typeof(ConsoleEndpoints).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var path = name[ResourcePrefix.Length..];
            if (!ContentTypes.ContainsKey(Path.GetExtension(path)))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[path] = copy.ToArray();
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
