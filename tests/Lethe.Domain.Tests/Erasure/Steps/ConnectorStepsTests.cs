using System.Text.Json;
using Lethe.Domain.Connectors;
using Lethe.Domain.Erasure;

using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Tests.Erasure.Steps;

/// <summary>PlanConnectors, CallConnector and SettleConnectors (workflows/deletion.asl.json → the Connectors Map around them).</summary>
public sealed class ConnectorStepsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    private async Task<ErasureState> PastTheWindowAsync(int timeScale = 1)
    {
        _h.Tenants.Items[ErasureHarness.Tenant] = new Tenant(ErasureHarness.Tenant, "Tenant one", TenantState.Active, _h.Clock.GetUtcNow(), timeScale);
        return await _h.ThroughTheWindowAsync();
    }

    private Task<Job> JobAsync() => _h.Jobs.FindAsync(ErasureHarness.Tenant, "job-1", Ct)!;

    private Task<ConnectorCallState> CallAsync(string connector, string token = "token-1") =>
        _h.Steps.CallConnector.RunAsync(new ConnectorCallState(ErasureHarness.Tenant, "job-1", 1) { Connector = connector, TaskToken = token }, Ct);

    private Task<ConnectorCall?> AnswerAsync(string connector, string status, long items = 1) =>
        _h.Connectors.AnswerAsync(ErasureHarness.Tenant, "job-1", connector, new ConnectorAnswer(status, items, status == "failed" ? "read-only today" : null, _h.Clock.GetUtcNow()), Ct);

    [Fact]
    public async Task Plan_without_connectors_passes_straight_to_the_purge()
    {
        var state = await PastTheWindowAsync();

        var planned = await _h.Steps.PlanConnectors.RunAsync(state, Ct);

        planned.Connectors.Should().BeEmpty();
        (await JobAsync()).Phase.Should().Be(JobPhases.Purge);
    }

    [Fact]
    public async Task Plan_names_the_connectors_serving_deletions_moves_the_job_to_connectors_and_scales_the_answer_window()
    {
        _h.Connectors.Add("crm");
        _h.Connectors.Add("billing");
        _h.Connectors.Add("warehouse", types: "export");
        var state = await PastTheWindowAsync(timeScale: 86_400);

        var planned = await _h.Steps.PlanConnectors.RunAsync(state, Ct);

        planned.Connectors.Should().Equal("billing", "crm");
        planned.ConnectorTimeoutSeconds.Should().Be(7, "P7D at 86,400 scaled seconds a day");
        (await JobAsync()).Phase.Should().Be(JobPhases.Connectors);
        _h.Evidence.Events.Values.Should().Contain(e => e.Action == "erasure.connectors.called");
    }

    [Fact]
    public async Task Plan_in_the_middle_of_a_purge_calls_nobody_since_the_fan_out_was_settled_before_its_first_page()
    {
        _h.Connectors.Add("crm");
        var state = await PastTheWindowAsync();

        var planned = await _h.Steps.PlanConnectors.RunAsync(state with { Cursor = "manifest:3" }, Ct);

        planned.Connectors.Should().BeEmpty();
    }

    [Fact]
    public async Task Plan_after_a_retry_calls_only_the_connectors_that_have_not_confirmed()
    {
        _h.Connectors.Add("crm");
        _h.Connectors.Add("billing");
        var state = await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        await CallAsync("crm");
        await CallAsync("billing", "token-2");
        await AnswerAsync("crm", ConnectorAnswer.Done);
        await AnswerAsync("billing", ConnectorAnswer.Failed);

        var again = await _h.Steps.PlanConnectors.RunAsync(state with { Connectors = [] }, Ct);

        again.Connectors.Should().Equal("billing");
    }

    [Fact]
    public async Task Call_records_the_waiting_call_and_posts_the_signed_body_of_the_API()
    {
        _h.Connectors.Add("crm", url: "https://crm.example.com/hook", secret: "whsec-0123456789abcdef");
        await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);

        await CallAsync("crm", "token-7");

        var (url, headers, body) = _h.Connectors.Posts.Should().ContainSingle().Subject;
        url.Should().Be(new Uri("https://crm.example.com/hook"));
        using var json = JsonDocument.Parse(body);
        json.RootElement.GetProperty("subjectId").GetString().Should().Be("anna.berg");
        json.RootElement.GetProperty("callback").GetString().Should().Be("/v1/tenants/t1/requests/job-1/connectors/crm");
        headers[ConnectorSignature.TimestampHeader].Should().Be(_h.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        ConnectorSignature.Verify("whsec-0123456789abcdef", headers[ConnectorSignature.TimestampHeader], body, headers[ConnectorSignature.SignatureHeader]).Should().BeTrue();
        _h.Connectors.Call("job-1", "crm")!.TaskToken.Should().Be("token-7");
        _h.Connectors.Resumed.Should().BeEmpty("the task waits for the system's answer");
    }

    [Fact]
    public async Task Call_to_an_unreachable_connector_throws_the_retryable_error_and_audits_the_failed_delivery()
    {
        _h.Connectors.Add("crm");
        await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        _h.Connectors.Delivery = new ConnectorDelivery(false, "HTTP 503");

        var call = () => CallAsync("crm");

        (await call.Should().ThrowAsync<ConnectorUnreachableException>()).Which.ErrorType.Should().Be("Lethe.ConnectorUnreachable");
        _h.Evidence.Events.Values.Should().Contain(e => e.Action == "erasure.connector.sent" && e.Outcome == "failure");
    }

    [Fact]
    public async Task Call_for_a_connector_removed_meanwhile_resumes_the_task_at_once_without_posting()
    {
        _h.Connectors.Add("crm");
        await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        _h.Connectors.Remove("crm");

        await CallAsync("crm", "token-9");

        _h.Connectors.Posts.Should().BeEmpty();
        _h.Connectors.Resumed.Should().ContainSingle().Which.Token.Should().Be("token-9");
    }

    [Fact]
    public async Task Call_replayed_after_the_connector_confirmed_resumes_the_task_and_does_not_call_again()
    {
        _h.Connectors.Add("crm");
        await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        await CallAsync("crm", "token-1");
        await AnswerAsync("crm", ConnectorAnswer.Done);

        await CallAsync("crm", "token-2");

        _h.Connectors.Posts.Should().ContainSingle();
        _h.Connectors.Resumed.Should().ContainSingle().Which.Token.Should().Be("token-2");
    }

    [Fact]
    public async Task Call_when_the_job_is_no_longer_waiting_for_its_connectors_does_nothing()
    {
        _h.Connectors.Add("crm");
        await PastTheWindowAsync();

        var call = () => CallAsync("crm");

        await call.Should().ThrowAsync<JobNotActiveException>();
        _h.Connectors.Posts.Should().BeEmpty();
    }

    [Fact]
    public async Task Settle_when_every_connector_confirmed_moves_the_job_to_its_purge()
    {
        _h.Connectors.Add("crm");
        var planned = await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        await CallAsync("crm");
        await AnswerAsync("crm", ConnectorAnswer.Done, items: 4);

        var settled = await _h.Steps.SettleConnectors.RunAsync(planned with { ConnectorResults = [new ConnectorOutcome("crm") { Status = "done" }] }, Ct);

        settled.Connectors.Should().BeEmpty();
        settled.ConnectorResults.Should().BeNull("the Map's output is not carried on");
        (await JobAsync()).Phase.Should().Be(JobPhases.Purge);
    }

    [Fact]
    public async Task Settle_fails_the_job_naming_each_connector_and_why_it_did_not_confirm()
    {
        _h.Connectors.Add("crm");
        _h.Connectors.Add("billing");
        _h.Connectors.Add("support");
        var planned = await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        await CallAsync("billing");
        await AnswerAsync("billing", ConnectorAnswer.Failed);
        ConnectorOutcome[] outcomes = [new("crm") { Error = "States.Timeout" }, new("billing") { Status = "failed" }, new("support") { Error = ConnectorUnreachableException.Name }];

        var settle = () => _h.Steps.SettleConnectors.RunAsync(planned with { ConnectorResults = outcomes }, Ct);

        var failure = (await settle.Should().ThrowAsync<ConnectorsUnconfirmedException>()).Which;
        failure.Message.Should().Contain("billing answered failed").And.Contain("crm did not answer within its window")
            .And.Contain("support could not be reached").And.Contain("retry");
        failure.Message.Should().NotContain("read-only today", "the system's own words stay with its call, out of the execution's history");
        (await JobAsync()).Phase.Should().Be(JobPhases.Connectors, "nothing was purged: a retry resumes here");
    }

    [Fact]
    public async Task Settle_does_not_wait_for_a_connector_the_tenant_removed_meanwhile()
    {
        _h.Connectors.Add("crm");
        var planned = await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        _h.Connectors.Remove("crm");

        var settled = await _h.Steps.SettleConnectors.RunAsync(planned with { ConnectorResults = [new ConnectorOutcome("crm") { Error = "States.Timeout" }] }, Ct);

        (await JobAsync()).Phase.Should().Be(JobPhases.Purge);
        settled.Connectors.Should().BeEmpty();
    }

    [Fact]
    public async Task The_certificate_lists_each_confirmation_with_its_items_and_time()
    {
        _h.Connectors.Add("crm");
        var planned = await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        await CallAsync("crm");
        await AnswerAsync("crm", ConnectorAnswer.Done, items: 12);
        var state = await _h.Steps.SettleConnectors.RunAsync(planned, Ct);
        state = await _h.ShredAllAsync(await _h.PurgeAllAsync(state));

        await _h.Steps.Certify.RunAsync(state, Ct);

        var confirmation = (await _h.CertificateAsync()).GetProperty("connectors").EnumerateArray().Should().ContainSingle().Subject;
        (confirmation.GetProperty("name").GetString(), confirmation.GetProperty("status").GetString(), confirmation.GetProperty("items").GetInt64())
            .Should().Be(("crm", "done", 12));
        confirmation.GetProperty("answeredAt").GetString().Should().Be(Lethe.Domain.Audit.AuditChain.FormatTime(_h.Clock.GetUtcNow()));
    }

    [Fact]
    public async Task Plan_for_a_subject_under_a_legal_hold_calls_nobody_and_pauses_the_erasure()
    {
        _h.Connectors.Add("crm");
        var state = await PastTheWindowAsync();
        _h.Holds.HeldSubjects.Add(ErasureHarness.Subject);

        var planned = await _h.Steps.PlanConnectors.RunAsync(state, Ct);

        planned.Held.Should().BeTrue();
        planned.Connectors.Should().BeEmpty();
        (await JobAsync()).Phase.Should().Be(JobPhases.Held);
    }

    [Fact]
    public async Task Call_for_a_subject_placed_under_a_legal_hold_meanwhile_resumes_the_task_without_asking_anyone()
    {
        _h.Connectors.Add("crm");
        await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        _h.Holds.HeldSubjects.Add(ErasureHarness.Subject);

        await CallAsync("crm", "token-3");

        _h.Connectors.Posts.Should().BeEmpty();
        _h.Connectors.Resumed.Should().ContainSingle().Which.Output.Should().Contain(CallConnectorStep.Held);
    }

    [Fact]
    public async Task Settle_when_a_legal_hold_was_placed_during_the_wait_pauses_the_erasure_instead_of_failing_it()
    {
        _h.Connectors.Add("crm");
        var planned = await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        _h.Holds.HeldSubjects.Add(ErasureHarness.Subject);

        var settled = await _h.Steps.SettleConnectors.RunAsync(planned with { ConnectorResults = [new ConnectorOutcome("crm") { Status = CallConnectorStep.Held }] }, Ct);

        settled.Held.Should().BeTrue();
        (await JobAsync()).Phase.Should().Be(JobPhases.Held);
    }

    [Fact]
    public async Task Plan_when_the_subject_s_id_is_purged_already_calls_nobody_and_audits_the_connectors_it_could_not_call()
    {
        _h.Connectors.Add("crm");
        var state = await PastTheWindowAsync();
        _h.Connectors.SubjectId = null;

        var planned = await _h.Steps.PlanConnectors.RunAsync(state, Ct);

        planned.Connectors.Should().BeEmpty();
        (await JobAsync()).Phase.Should().Be(JobPhases.Purge);
        _h.Evidence.Events.Values.Should().Contain(e => e.Action == "erasure.connectors.skipped");
        _h.Connectors.Posts.Should().BeEmpty();
    }

    [Fact]
    public async Task Call_looks_the_subject_up_before_it_records_a_call_so_no_call_waits_for_a_system_that_was_never_told()
    {
        _h.Connectors.Add("crm");
        await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        _h.Connectors.SubjectId = null;

        var call = () => CallAsync("crm");

        await call.Should().ThrowAsync<ConnectorsUnconfirmedException>();
        _h.Connectors.Call("job-1", "crm").Should().BeNull();
    }

    [Fact]
    public async Task A_retry_of_an_erasure_that_failed_waiting_for_its_connectors_resumes_at_the_fan_out_with_the_lock_taken_again()
    {
        _h.Connectors.Add("crm");
        var planned = await _h.Steps.PlanConnectors.RunAsync(await PastTheWindowAsync(), Ct);
        var settle = () => _h.Steps.SettleConnectors.RunAsync(planned with { ConnectorResults = [new ConnectorOutcome("crm") { Error = "States.Timeout" }] }, Ct);
        var error = (await settle.Should().ThrowAsync<ConnectorsUnconfirmedException>()).Which;
        await _h.Steps.RecordFailure.RunAsync(new Lethe.Domain.Jobs.Workflow.FailedStep(ErasureHarness.Tenant, "job-1", 1, error.ErrorType, error.Message), Ct);
        var requests = new Lethe.Domain.Requests.RequestService(_h.Jobs, _h.Workflows, _h.Holds, _h.Inventory, _h.Clock, new Lethe.Domain.Tests.Notifications.RecordingNotifications());

        var (change, retried) = await requests.RetryAsync(ErasureHarness.Tenant, "job-1", Ct);

        change.Should().Be(Lethe.Domain.Requests.JobChange.Done);
        (retried!.Status, retried.Phase, retried.Execution).Should().Be((JobStatus.Running, JobPhases.Purge, 2));
        _h.Workflows.Inputs.Should().Contain(i => i.Execution == 2 && i.Resume == JobPhases.Purge, "the purge route passes the fan-out first");
    }
}
