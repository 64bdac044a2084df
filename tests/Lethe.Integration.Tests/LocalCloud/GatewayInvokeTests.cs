using System.Net;
using System.Text;
using System.Text.Json;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>The gateway answers the Lambda Invoke API with our handlers, as the Lambda service would.</summary>
public sealed class GatewayInvokeTests(LocalCloudFixture fixture)
{
    private static readonly HttpClient Http = new();

    private Task<HttpResponseMessage> InvokeAsync(string function, string payload) =>
        Http.PostAsync(new Uri(fixture.Cloud.Endpoint, $"2015-03-31/functions/{Uri.EscapeDataString(function)}/invocations"),
            new StringContent(payload, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Invoke_runs_the_handler_with_a_real_context()
    {
        var sample = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "events", "functions", "ping.json"), TestContext.Current.CancellationToken);

        using var response = await InvokeAsync("ping", sample);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.Contains("X-Amz-Function-Error").Should().BeFalse();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        body.RootElement.GetProperty("function").GetString().Should().Be("ping");
        body.RootElement.GetProperty("correlationId").GetString().Should().Be("deploy-smoke-2026-11-25");
        body.RootElement.GetProperty("requestId").GetString().Should().Be(response.Headers.GetValues("x-amzn-RequestId").Single());
        body.RootElement.GetProperty("remainingMilliseconds").GetInt64().Should().BeInRange(60_000, 15 * 60_000);
    }

    [Fact]
    public async Task Invoke_by_full_arn_reaches_the_same_handler()
    {
        using var response = await InvokeAsync(fixture.Cloud.FunctionArn("ping") + ":$LATEST", "{}");

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        body.RootElement.GetProperty("function").GetString().Should().Be("ping");
    }

    [Fact]
    public async Task A_handler_failure_is_reported_as_FunctionError_with_the_typed_errorType()
    {
        using var response = await InvokeAsync(ProbeHandlers.Flaky, """{"key":"gw-invalid","failTimes":0,"invalid":true}""");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("X-Amz-Function-Error").Single().Should().Be("Unhandled");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        body.RootElement.GetProperty("errorType").GetString().Should().Be("Lethe.InvalidInput");
        body.RootElement.GetProperty("errorMessage").GetString().Should().Contain("gw-invalid");
    }

    [Fact]
    public async Task Malformed_input_is_a_Lethe_InvalidInput_error_not_a_gateway_failure()
    {
        using var response = await InvokeAsync("ping", "{not json");

        response.Headers.GetValues("X-Amz-Function-Error").Single().Should().Be("Unhandled");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        body.RootElement.GetProperty("errorType").GetString().Should().Be("Lethe.InvalidInput");
    }

    [Fact]
    public async Task An_unknown_function_is_ResourceNotFound()
    {
        using var response = await InvokeAsync("no-such-function", "{}");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Headers.GetValues("x-amzn-ErrorType").Single().Should().Be("ResourceNotFoundException");
    }
}
