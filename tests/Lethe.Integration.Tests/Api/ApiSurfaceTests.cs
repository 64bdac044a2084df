using System.Net;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Lethe.Aws.Tenants;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Tests.Integration.Api;

/// <summary>Health, OpenAPI, docs, correlation ids and the problem responses for failures no endpoint handles.</summary>
public sealed class ApiSurfaceTests(LetheApiFactory api) : IClassFixture<LetheApiFactory>
{
    [Fact]
    public async Task Health_answers_ok_without_a_token()
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/health", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be("""{"status":"ok"}""");
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_guarded_tenant_route_and_its_problems()
    {
        using var client = api.CreateClient();

        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken));

        var paths = document.RootElement.GetProperty("paths");
        paths.TryGetProperty("/health", out _).Should().BeTrue();
        var tenant = paths.GetProperty("/v1/tenants/{tenantId}").GetProperty("get");
        tenant.GetProperty("responses").EnumerateObject().Select(r => r.Name).Should().Contain(["200", "401", "403", "404", "410"]);
    }

    [Fact]
    public async Task The_API_reference_page_is_served_at_docs()
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/docs", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Contain("openapi/v1.json");
        using var script = await client.GetAsync("/docs/scalar.js", TestContext.Current.CancellationToken);
        script.StatusCode.Should().Be(HttpStatusCode.OK, "the reference UI is served from the API itself, not a CDN");
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/v1/nothing-here", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task A_correlation_id_is_echoed_and_a_missing_or_unsafe_one_is_replaced()
    {
        using var client = api.CreateClient();
        using var given = new HttpRequestMessage(HttpMethod.Get, "/health");
        given.Headers.Add("X-Correlation-Id", "req-abc.123");
        using var unsafeOne = new HttpRequestMessage(HttpMethod.Get, "/health");
        unsafeOne.Headers.TryAddWithoutValidation("X-Correlation-Id", "<script>");

        using var echoed = await client.SendAsync(given, TestContext.Current.CancellationToken);
        using var replaced = await client.SendAsync(unsafeOne, TestContext.Current.CancellationToken);

        echoed.Headers.GetValues("X-Correlation-Id").Single().Should().Be("req-abc.123");
        replaced.Headers.GetValues("X-Correlation-Id").Single().Should().MatchRegex("^[0-9a-f]{32}$");
    }

    [Fact]
    public async Task An_unhandled_failure_is_a_500_problem_that_leaks_no_internals()
    {
        using var broken = new LetheApiFactory
        {
            OverrideServices = services => services.AddSingleton<ITenantRepository>(sp =>
                new DynamoTenantRepository(sp.GetRequiredService<IAmazonDynamoDB>(), "lethe-it-no-such-table")),
        };
        using var client = broken.ClientWithToken("t-broken", Roles.TenantAdmin);

        using var response = await client.GetAsync("/v1/tenants/t-broken", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        body.Should().NotContain("no-such-table").And.NotContain("ResourceNotFound").And.NotContain(" at ");
        using var json = JsonDocument.Parse(body);
        json.RootElement.GetProperty("type").GetString().Should().Be("https://lethe.dev/problems/internal-error");
        json.RootElement.GetProperty("correlationId").GetString().Should().Be(response.Headers.GetValues("X-Correlation-Id").Single());
    }
}
