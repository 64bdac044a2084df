using System.Net;
using System.Text;
using Amazon;
using Amazon.Runtime;
using Lethe.Aws.Jobs;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Jobs;

namespace Lethe.Aws.Tests.Jobs;

/// <summary>
/// The executions behind the console's history view. GetExecutionHistory's quota is the account's, shared by every tenant, so an
/// ended execution is read once per version of its job; a running one is read on every look.
/// </summary>
public sealed class StepFunctionsExecutionHistoryTests
{
    private const string Machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:lethe-deletion";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Answers DescribeExecution with the given status and GetExecutionHistory with two events; counts each call.</summary>
    private sealed class StepFunctionsStub(string status) : HttpMessageHandler
    {
        public List<string> Calls { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Headers.GetValues("X-Amz-Target").Single();
            Calls.Add(target);
            var body = target switch
            {
                "AWSStepFunctions.DescribeExecution" => $$"""{"executionArn":"arn:x","stateMachineArn":"{{Machine}}","name":"job_1-1","status":"{{status}}","startDate":1764061200.0{{(status == "RUNNING" ? string.Empty : ",\"stopDate\":1764061260.0")}}}""",
                _ => """{"events":[{"id":2,"type":"TaskStateEntered","timestamp":1764061201.0,"stateEnteredEventDetails":{"name":"Certify"}},{"id":1,"type":"ExecutionStarted","timestamp":1764061200.0}]}""",
            };
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/x-amz-json-1.0") });
        }
    }

    private static StepFunctionsExecutionHistory History(StepFunctionsStub stub) => new(
        new StepFunctionsClient(
            new HttpClient(stub),
            new StepFunctionsClientOptions { Region = RegionEndpoint.EUWest1, ServiceUrl = new Uri("https://states.eu-west-1.amazonaws.com/") },
            _ => ValueTask.FromResult<AWSCredentials>(new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"))),
        _ => Machine,
        consoleRegion: null);

    private static Job Job(DateTimeOffset updatedAt) => new()
    {
        Id = "job_1",
        TenantId = "t1",
        Type = JobType.Deletion,
        SubjectRef = "ref-1",
        Status = JobStatus.Completed,
        Phase = "done",
        CreatedAt = updatedAt.AddMinutes(-5),
        UpdatedAt = updatedAt,
        RequestedBy = "officer-1",
    };

    [Fact]
    public async Task An_ended_execution_is_read_from_Step_Functions_once_while_its_job_is_unchanged()
    {
        var stub = new StepFunctionsStub("SUCCEEDED");
        var history = History(stub);
        var job = Job(DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

        var first = await history.ListAsync(job, Ct);
        var again = await history.ListAsync(job, Ct);

        stub.Calls.Should().Equal("AWSStepFunctions.DescribeExecution", "AWSStepFunctions.GetExecutionHistory");
        again.Should().Equal(first);
        again.Single().Events.Select(e => (e.Type, e.State)).Should().Equal(("ExecutionStarted", null), ("TaskStateEntered", "Certify"));
    }

    [Fact]
    public async Task An_ended_execution_is_read_again_once_its_job_changed_as_a_retry_that_redrives_it_would()
    {
        var stub = new StepFunctionsStub("FAILED");
        var history = History(stub);
        var at = DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

        await history.ListAsync(Job(at), Ct);
        await history.ListAsync(Job(at.AddSeconds(1)), Ct);

        stub.Calls.Count(c => c == "AWSStepFunctions.GetExecutionHistory").Should().Be(2);
    }

    [Fact]
    public async Task A_running_execution_is_read_on_every_look()
    {
        var stub = new StepFunctionsStub("RUNNING");
        var history = History(stub);
        var job = Job(DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

        await history.ListAsync(job, Ct);
        await history.ListAsync(job, Ct);

        stub.Calls.Count(c => c == "AWSStepFunctions.GetExecutionHistory").Should().Be(2, "its history still grows");
    }
}
