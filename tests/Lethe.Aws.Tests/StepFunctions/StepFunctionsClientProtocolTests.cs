using System.Net;
using System.Text;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Lethe.Aws.StepFunctions;

namespace Lethe.Aws.Tests.StepFunctions;

/// <summary>
/// The wire protocol of our Step Functions client (AWS JSON 1.0 + SigV4), checked request by request. moto lacks
/// RedriveExecution, so its request shape is proven here; the other calls also run against the local cloud.
/// </summary>
public sealed class StepFunctionsClientProtocolTests
{
    private sealed class ScriptedHandler(params Func<HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        private int _next;

        public List<(HttpRequestMessage Request, string Body)> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add((request, await request.Content!.ReadAsStringAsync(cancellationToken)));
            return answers[Math.Min(_next++, answers.Length - 1)]();
        }
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/x-amz-json-1.0") };

    private static StepFunctionsClient Client(ScriptedHandler handler, int maxAttempts = 5) => new(
        new HttpClient(handler),
        new StepFunctionsClientOptions
        {
            Region = RegionEndpoint.EUWest1,
            ServiceUrl = new Uri("https://states.eu-west-1.amazonaws.com/"),
            MaxAttempts = maxAttempts,
            BaseDelay = TimeSpan.FromMilliseconds(1),
            MaxDelay = TimeSpan.FromMilliseconds(2),
        },
        _ => ValueTask.FromResult<AWSCredentials>(new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")));

    [Fact]
    public async Task Redrive_execution_sends_the_documented_target_body_and_a_SigV4_signature()
    {
        var handler = new ScriptedHandler(() => Json(HttpStatusCode.OK, """{"redriveDate":1764061200.5}"""));
        const string arn = "arn:aws:states:eu-west-1:123456789012:execution:lethe-deletion:job-1-1";

        var response = await Client(handler).RedriveExecutionAsync(new RedriveExecutionRequest(arn, "token-1"), TestContext.Current.CancellationToken);

        response.RedriveDate.Should().Be(1764061200.5);
        var (request, body) = handler.Seen.Single();
        request.Method.Should().Be(HttpMethod.Post);
        request.RequestUri.Should().Be(new Uri("https://states.eu-west-1.amazonaws.com/"));
        request.Headers.GetValues("X-Amz-Target").Single().Should().Be("AWSStepFunctions.RedriveExecution");
        request.Content!.Headers.ContentType!.MediaType.Should().Be("application/x-amz-json-1.0");
        JsonDocument.Parse(body).RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetString()))
            .Should().Equal(("executionArn", arn), ("clientToken", "token-1"));
        var authorization = request.Headers.GetValues("Authorization").Single();
        authorization.Should().StartWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            .And.Contain("/eu-west-1/states/aws4_request")
            .And.Contain("x-amz-target");
        request.Headers.Contains("X-Amz-Date").Should().BeTrue();
    }

    [Fact]
    public async Task Throttling_is_retried_with_backoff_until_the_call_succeeds()
    {
        var handler = new ScriptedHandler(
            () => Json(HttpStatusCode.BadRequest, """{"__type":"com.amazonaws.states#ThrottlingException","message":"Rate exceeded"}"""),
            () => Json(HttpStatusCode.InternalServerError, """{"__type":"InternalFailure"}"""),
            () => Json(HttpStatusCode.OK, """{"executionArn":"arn:x","startDate":1.0}"""));

        var started = await Client(handler).StartExecutionAsync(new StartExecutionRequest("arn:sm", "job-1-1", "{}"), TestContext.Current.CancellationToken);

        started.ExecutionArn.Should().Be("arn:x");
        handler.Seen.Should().HaveCount(3);
        handler.Seen.Select(s => s.Body).Distinct().Should().ContainSingle("every retry sends the same request");
    }

    [Fact]
    public async Task Throttling_that_outlasts_the_retries_is_a_transient_error()
    {
        var handler = new ScriptedHandler(() => Json(HttpStatusCode.BadRequest, """{"__type":"ThrottlingException","message":"Rate exceeded"}"""));

        var call = () => Client(handler, maxAttempts: 3).DescribeExecutionAsync("arn:x", TestContext.Current.CancellationToken);

        (await call.Should().ThrowAsync<StepFunctionsUnavailableException>()).Which.ErrorType.Should().Be("Lethe.Transient");
        handler.Seen.Should().HaveCount(3);
    }

    [Theory]
    [InlineData("""{"__type":"com.amazonaws.states#ExecutionAlreadyExists","message":"exists"}""", typeof(ExecutionAlreadyExistsException))]
    [InlineData("""{"__type":"ExecutionDoesNotExist","Message":"nope"}""", typeof(ExecutionDoesNotExistException))]
    [InlineData("""{"__type":"StateMachineDoesNotExist","message":"nope"}""", typeof(StateMachineDoesNotExistException))]
    [InlineData("""{"__type":"ExecutionNotRedrivable","message":"running"}""", typeof(ExecutionNotRedrivableException))]
    public async Task Service_errors_become_typed_exceptions_without_retrying(string body, Type expected)
    {
        var handler = new ScriptedHandler(() => Json(HttpStatusCode.BadRequest, body));

        var call = () => Client(handler).DescribeExecutionAsync("arn:x", TestContext.Current.CancellationToken);

        (await call.Should().ThrowAsync<StepFunctionsException>()).Which.Should().BeOfType(expected);
        handler.Seen.Should().ContainSingle();
    }

    [Fact]
    public async Task An_error_code_only_in_the_header_is_still_recognised()
    {
        var handler = new ScriptedHandler(() =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new ByteArrayContent([]) };
            response.Headers.Add("x-amzn-ErrorType", "ExecutionDoesNotExist:http://internal.amazon.com/");
            return response;
        });

        var call = () => Client(handler).DescribeExecutionAsync("arn:x", TestContext.Current.CancellationToken);

        await call.Should().ThrowAsync<ExecutionDoesNotExistException>();
    }
}
