using System.Net.Http.Headers;
using Lethe.Api;
using Lethe.Api.Auth;
using Lethe.LocalCloud;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Lethe.Benchmarks;

/// <summary>
/// The real API (auth, guard, KMS-cached keys, field encryption, audit journal) on a free port in this process, in front of a
/// fresh local cloud (moto, the gateway, the stream pollers that run the audit chainer), with a client holding a token.
/// </summary>
public sealed class BenchApi : IAsyncDisposable
{
    private readonly string _keyFile;

    private BenchApi(LocalCloudHost cloud, WebApplication api, HttpClient http, string keyFile)
    {
        Auditor = new HttpClient { BaseAddress = http.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        Auditor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(keyFile, "auditor"));
        Cloud = cloud;
        Api = api;
        Http = http;
        _keyFile = keyFile;
    }

    public LocalCloudHost Cloud { get; }

    public WebApplication Api { get; }

    /// <summary>A client of the API whose token holds the <c>service</c> role of tenant <c>bench</c>.</summary>
    public HttpClient Http { get; }

    /// <summary>A client whose token holds the <c>auditor</c> role of tenant <c>bench</c> (audit/verify).</summary>
    public HttpClient Auditor { get; }

    /// <param name="jobStatusInterval">
    /// How often the reconciler looks at every open job (one DescribeExecution each): every second by default; a benchmark with a
    /// thousand open jobs looks every 30 s, as AWS's schedule does every 5 minutes, so moto measures the work and not the looks.
    /// </param>
    public static async Task<BenchApi> StartAsync(string root, string resourcePrefix, TimeSpan? jobStatusInterval = null)
    {
        var options = new LocalCloudOptions { ResourcePrefix = resourcePrefix, RepositoryRoot = root };
        if (jobStatusInterval is { } interval)
        {
            options.JobStatusInterval = interval;
        }

        var cloud = await LocalCloudHost.StartAsync(options);
        cloud.ApplyToProcessEnvironment();
        var keyFile = Path.Combine(Path.GetTempPath(), $"lethe-bench-{Guid.NewGuid():N}.key");
        var port = Lethe.LocalCloud.Moto.MotoServer.FreePort();
        var api = ApiHost.Build([], builder =>
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Configuration["Lethe:Stage"] = "local";
            builder.Configuration["Lethe:AutoProvisionTenants"] = "true";
            builder.Configuration["Lethe:Auth:Mode"] = "Local";
            builder.Configuration["Lethe:Auth:Issuer"] = DevSigningKey.Issuer;
            builder.Configuration["Lethe:Auth:Audience"] = DevSigningKey.Audience;
            builder.Configuration["Lethe:Auth:DevKeyFile"] = keyFile;
            builder.Configuration["Logging:LogLevel:Default"] = "Warning";
            // The tenant's token bucket (50 requests/s by default) is not what a benchmark measures: it is opened wide.
            builder.Configuration["Lethe:RateLimit:PermitsPerSecond"] = "100000";
            builder.Configuration["Lethe:RateLimit:Burst"] = "1000000";
        });
        await api.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(keyFile, "service"));
        return new BenchApi(cloud, api, http, keyFile);
    }

    /// <summary>A new client of the API whose token holds <paramref name="role"/> of tenant <c>bench</c>; the caller disposes it.</summary>
    public HttpClient ClientFor(string role)
    {
        var client = new HttpClient { BaseAddress = Http.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(_keyFile, role));
        return client;
    }

    private static string Token(string keyFile, string role) =>
        DevSigningKey.IssueToken(DevSigningKey.LoadOrCreate(keyFile), "bench", [role], $"bench-{role}", TimeSpan.FromHours(2), DateTimeOffset.UtcNow);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Auditor.Dispose();
        await Api.StopAsync();
        await Api.DisposeAsync();
        File.Delete(_keyFile);
        await Cloud.DisposeAsync();
    }
}
