using System.Net;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>An API whose per-tenant limit is 1 request/s with bursts of 3 (API.md: configurable per stage).</summary>
public sealed class RateLimitedApiFactory : LetheApiFactory
{
    public RateLimitedApiFactory()
    {
        Settings = new Dictionary<string, string> { ["Lethe:RateLimit:PermitsPerSecond"] = "1", ["Lethe:RateLimit:Burst"] = "3" };
    }
}

/// <summary>API.md, Auth: a per-tenant token bucket answered with 429 problem+json and Retry-After beyond it.</summary>
public sealed class RateLimitTests(RateLimitedApiFactory api) : IClassFixture<RateLimitedApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_tenant_over_its_limit_gets_429_with_Retry_After_while_another_tenant_is_served()
    {
        var busy = $"rl-{Guid.NewGuid():N}"[..20];
        var quiet = $"rl-{Guid.NewGuid():N}"[..20];
        using var client = api.ClientWithToken(busy, Roles.TenantAdmin);
        using var other = api.ClientWithToken(quiet, Roles.TenantAdmin);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await client.GetAsync($"/v1/tenants/{busy}/legal-holds", Ct));
        }

        var served = await other.GetAsync($"/v1/tenants/{quiet}/legal-holds", Ct);

        answers.Take(3).Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK, "the burst of 3 is served");
        var limited = answers.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        limited.Should().NotBeEmpty();
        limited[0].Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        int.Parse(limited[0].Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(1);
        (await limited[0].ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/rate-limited");
        served.StatusCode.Should().Be(HttpStatusCode.OK, "the limit is per tenant");
    }

    [Fact]
    public async Task Anonymous_or_foreign_traffic_aimed_at_a_tenant_never_drains_that_tenants_limit()
    {
        var victim = $"rl-{Guid.NewGuid():N}"[..20];
        using var anonymous = api.CreateClient();
        using var stranger = api.ClientWithToken("another-tenant", Roles.TenantAdmin);
        using var owner = api.ClientWithToken(victim, Roles.TenantAdmin);

        for (var i = 0; i < 8; i++)
        {
            await anonymous.GetAsync($"/v1/tenants/{victim}/legal-holds", Ct);
            await stranger.GetAsync($"/v1/tenants/{victim}/legal-holds", Ct);
        }

        var served = await owner.GetAsync($"/v1/tenants/{victim}/legal-holds", Ct);

        served.StatusCode.Should().Be(HttpStatusCode.OK, "the tenant's own bucket was never spent by strangers");
    }

    [Fact]
    public async Task A_data_subject_over_its_limit_is_limited_alone_and_never_drains_the_tenants_limit()
    {
        var tenant = $"rl-{Guid.NewGuid():N}"[..20];
        using var lena = api.ClientWithToken(tenant, Roles.Subject, "lena");
        using var milo = api.ClientWithToken(tenant, Roles.Subject, "milo");
        using var app = api.ClientWithToken(tenant, Roles.TenantAdmin);

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            answers.Add((await lena.GetAsync($"/v1/tenants/{tenant}/subjects/lena/records", Ct)).StatusCode);
        }

        answers.Should().Contain(HttpStatusCode.TooManyRequests, "one subject's token has a bucket of its own");
        (await app.GetAsync($"/v1/tenants/{tenant}/legal-holds", Ct)).StatusCode.Should().Be(HttpStatusCode.OK, "the tenant's app and admins are not locked out");
        (await milo.GetAsync($"/v1/tenants/{tenant}/subjects/milo/records", Ct)).StatusCode.Should().NotBe(HttpStatusCode.TooManyRequests, "another subject is not limited by the first");
    }

    [Fact]
    public async Task A_bulk_request_counts_as_one_request_per_subject_and_one_over_the_limit_starts_nothing()
    {
        var tenant = $"rb-{Guid.NewGuid():N}"[..20];
        using var client = api.ClientWithToken(tenant, Roles.TenantAdmin);

        // Burst 3, 1/s: the first bulk names two (invalid, so it is quick) subjects and takes two tokens; the second gets in with
        // the last one (or one more a second later) and cannot pay for its three subjects, so the bulk itself refuses it.
        var first = await BulkAsync(client, tenant, ["bad id!", "worse id!"], "bulk-1");
        var second = await BulkAsync(client, tenant, ["dan", "eva", "fay"], "bulk-2");
        // What the server said to wait, then one read: the refused bulk started nothing.
        await Task.Delay(second.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), Ct);
        var listed = await client.GetAsync($"/v1/tenants/{tenant}/requests?subjectId=dan", Ct);

        first.StatusCode.Should().Be(HttpStatusCode.Accepted, "two subjects fit the burst of 3 (each listed with its problem)");
        second.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, await second.Content.ReadAsStringAsync(Ct));
        (await second.ReadJsonAsync()).GetProperty("detail").GetString().Should().Contain("A bulk of 3 subjects counts as 3 requests");
        second.Headers.RetryAfter!.Delta!.Value.TotalSeconds.Should().BeGreaterThanOrEqualTo(1);
        listed.StatusCode.Should().Be(HttpStatusCode.OK);
        (await listed.ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
    }

    private static async Task<HttpResponseMessage> BulkAsync(HttpClient client, string tenant, string[] subjects, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{tenant}/requests/bulk")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { type = "export", subjectIds = subjects, reason = "batch", format = "json" }),
        };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request, Ct);
    }
}
