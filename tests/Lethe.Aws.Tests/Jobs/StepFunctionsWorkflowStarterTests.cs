using System.Net;
using System.Text;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Lethe.Aws.Jobs;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Jobs;

namespace Lethe.Aws.Tests.Jobs;

/// <summary>
/// How a reconciliation pass learns which executions ended: one ListExecutions per ending status, newest first, paged only while
/// the page still reaches back to the oldest open job.
/// </summary>
public sealed class StepFunctionsWorkflowStarterTests
{
    private const string Machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:lethe-ingest";

    private static readonly DateTimeOffset Since = DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Lists executions per status filter from a script of pages; records each request body.</summary>
    private sealed class ListingStub(Func<string, string?, string> page) : HttpMessageHandler
    {
        public List<JsonElement> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.GetValues("X-Amz-Target").Single().Should().Be("AWSStepFunctions.ListExecutions");
            var body = JsonDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
            Requests.Add(body);
            var token = body.TryGetProperty("nextToken", out var t) ? t.GetString() : null;
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(page(body.GetProperty("statusFilter").GetString()!, token), Encoding.UTF8, "application/x-amz-json-1.0"),
            };
        }
    }

    private static string Execution(string name, string status, DateTimeOffset started) =>
        $$"""{"executionArn":"arn:{{name}}","stateMachineArn":"{{Machine}}","name":"{{name}}","status":"{{status}}","startDate":{{started.ToUnixTimeSeconds()}}.0}""";

    private static StepFunctionsWorkflowStarter Starter(ListingStub stub) => new(
        new StepFunctionsClient(
            new HttpClient(stub),
            new StepFunctionsClientOptions { Region = RegionEndpoint.EUWest1, ServiceUrl = new Uri("https://states.eu-west-1.amazonaws.com/") },
            _ => ValueTask.FromResult<AWSCredentials>(new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"))),
        _ => Machine);

    [Fact]
    public async Task Ended_executions_are_listed_per_status_back_to_the_oldest_open_job_and_no_further()
    {
        var stub = new ListingStub((status, token) => (status, token) switch
        {
            ("FAILED", null) => $$"""{"executions":[{{Execution("job_b-1", "FAILED", Since.AddMinutes(30))}}],"nextToken":"p2"}""",
            // The second page reaches past `since`: what is older belongs to jobs already closed, and no third page is asked for.
            ("FAILED", "p2") => $$"""{"executions":[{{Execution("job_a-2", "FAILED", Since.AddMinutes(1))}},{{Execution("job_old-1", "FAILED", Since.AddMinutes(-1))}}],"nextToken":"p3"}""",
            ("ABORTED", null) => $$"""{"executions":[{{Execution("job_c-1", "ABORTED", Since.AddHours(2))}}]}""",
            _ => """{"executions":[]}""",
        });

        var ended = await Starter(stub).EndedSinceAsync(JobType.Ingest, Since, TestContext.Current.CancellationToken);

        ended.ByName.Should().BeEquivalentTo(new Dictionary<string, string> { ["job_b-1"] = "FAILED", ["job_a-2"] = "FAILED", ["job_c-1"] = "ABORTED" });
        ended.CoveredSince.Should().Be(Since, "every listing reached back to the oldest open job");
        stub.Requests.Select(r => r.GetProperty("statusFilter").GetString()).Should().Equal("FAILED", "FAILED", "TIMED_OUT", "ABORTED");
        stub.Requests.Should().OnlyContain(r => r.GetProperty("stateMachineArn").GetString() == Machine);
    }

    [Fact]
    public async Task A_listing_past_its_page_limit_says_how_far_back_it_reached()
    {
        var pages = 0;
        var stub = new ListingStub((status, _) => status == "TIMED_OUT"
            ? $$"""{"executions":[{{Execution($"job_{++pages}-1", "TIMED_OUT", Since.AddHours(100 - pages))}}],"nextToken":"more"}"""
            : """{"executions":[]}""");

        var ended = await Starter(stub).EndedSinceAsync(JobType.Ingest, Since, TestContext.Current.CancellationToken);

        ended.ByName.Should().HaveCount(StepFunctionsWorkflowStarter.MaxListingPages);
        ended.CoveredSince.Should().Be(Since.AddHours(100 - StepFunctionsWorkflowStarter.MaxListingPages), "older ended executions were not read");
    }

    [Fact]
    public async Task An_empty_page_that_still_has_a_next_token_is_followed()
    {
        var stub = new ListingStub((status, token) => (status, token) switch
        {
            ("FAILED", null) => """{"executions":[],"nextToken":"p2"}""",
            ("FAILED", "p2") => $$"""{"executions":[{{Execution("job_e-1", "FAILED", Since.AddMinutes(5))}}]}""",
            _ => """{"executions":[]}""",
        });

        var ended = await Starter(stub).EndedSinceAsync(JobType.Ingest, Since, TestContext.Current.CancellationToken);

        ended.ByName.Should().ContainKey("job_e-1");
    }
}
