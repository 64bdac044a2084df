using Lethe.Api.Auth;
using Lethe.Domain.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lethe.Tests.Integration.Api;

/// <summary>The real API (real guard, real DynamoDB adapter) against the local cloud, with a dev signing key of its own.</summary>
public class LetheApiFactory : WebApplicationFactory<Program>
{
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"lethe-it-{Guid.NewGuid():N}.key");

    public bool AutoProvisionTenants { get; init; } = true;

    public Action<IServiceCollection>? OverrideServices { get; init; }

    /// <summary>Configuration applied over the local defaults (for example JWKS mode).</summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    public string Token(string tenant, string role, string sub = "user-1", TimeSpan? lifetime = null) =>
        DevSigningKey.IssueToken(DevSigningKey.LoadOrCreate(_keyFile), tenant, [role], sub, lifetime ?? TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);

    /// <summary>A client whose token holds several roles at once (API.md: each action is allowed when one role allows it).</summary>
    public HttpClient ClientWithRoles(string tenant, IReadOnlyList<string> roles, string sub, bool followRedirects = true)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = followRedirects });
        var token = DevSigningKey.IssueToken(DevSigningKey.LoadOrCreate(_keyFile), tenant, roles, sub, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient ClientWithToken(string tenant, string role, string sub = "user-1")
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token(tenant, role, sub));
        return client;
    }

    /// <summary>A client that shows redirects instead of following them (a download answers 302 to S3, outside this test server).</summary>
    public HttpClient ClientWithTokenNoRedirects(string tenant, string role, string sub = "user-1")
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token(tenant, role, sub));
        return client;
    }

    public HttpClient PlatformAdmin() => ClientWithToken("platform", Roles.PlatformAdmin, "operator-1");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Lethe:Stage", "local");
        builder.UseSetting("Lethe:DefaultTimeScale", "1");
        builder.UseSetting("Lethe:AutoProvisionTenants", AutoProvisionTenants ? "true" : "false");
        builder.UseSetting("Lethe:Auth:Mode", "Local");
        builder.UseSetting("Lethe:Auth:Issuer", DevSigningKey.Issuer);
        builder.UseSetting("Lethe:Auth:Audience", DevSigningKey.Audience);
        builder.UseSetting("Lethe:Auth:DevKeyFile", _keyFile);
        // Tests drive bursts (a hundred concurrent submissions) at one tenant; the limit itself is tested with its own settings.
        builder.UseSetting("Lethe:RateLimit:PermitsPerSecond", "10000");
        builder.UseSetting("Lethe:RateLimit:Burst", "20000");
        foreach (var (key, value) in Settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(new Fixtures.ErrorLogFile()));
        if (OverrideServices is not null)
        {
            builder.ConfigureServices(OverrideServices);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        File.Delete(_keyFile);
    }
}
