using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Requests;

/// <summary>
/// An erasure fanned out to the tenant's other systems (API.md, connectors): the real deletion workflow calls a loopback
/// listener with the signed body, waits on the task token until the system answers through the callback, and lists the
/// confirmation in the signed certificate. The tenant's time scale makes the P7D answer window 6 seconds (and the recovery
/// window about 25).
/// </summary>
public sealed class ConnectorFanOutTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    /// <summary>P7D in 6 seconds: 604,800 / 100,800.</summary>
    public const int Scale = 100_800;

    /// <summary>P7D in 12 seconds (the recovery window about 51): room to remove a connector before its answer window ends on a loaded machine.</summary>
    private const int RemovalScale = Scale / 2;

    private const string Secret = "whsec-test-0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_connector_receives_a_signed_call_answers_through_the_callback_and_its_confirmation_is_certified()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "cfo", Scale);
        await using var crm = WebhookReceiver.Start(Secret);
        using var system = api.ClientWithToken(scenario.Tenant, Roles.Service, "crm-system");
        var waiting = AnswerOnceWaitingShows(crm, scenario, call => AnswerAsync(system, scenario.Tenant, call, "done", items: 3));
        await PutConnectorAsync(scenario, "crm", crm.Url);
        await scenario.SeedAsync("clara.m", fileVersions: 1);

        var jobId = (await (await scenario.SubmitErasureAsync("clara.m")).ReadJsonAsync()).GetProperty("id").GetString()!;
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(150));

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        (await waiting).Should().Be("connectors", "the job shows that it waits for the tenant's systems");
        var call = crm.Calls.Should().ContainSingle().Subject;
        call.SignatureValid.Should().BeTrue("the receiver's own HMAC over timestamp.body matches X-Lethe-Signature");
        WebhookReceiver.Seconds(call.Timestamp!).Should().BeCloseTo(call.ReceivedAt.ToUnixTimeSeconds(), 60);
        var body = call.Json;
        (body.GetProperty("requestId").GetString(), body.GetProperty("type").GetString(), body.GetProperty("subjectId").GetString(), body.GetProperty("connector").GetString())
            .Should().Be((jobId, "deletion", "clara.m", "crm"));
        body.GetProperty("callback").GetString().Should().Be($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/connectors/crm");

        var certificate = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync()).GetProperty("certificate");
        var confirmation = certificate.GetProperty("connectors").EnumerateArray().Should().ContainSingle().Subject;
        (confirmation.GetProperty("name").GetString(), confirmation.GetProperty("status").GetString(), confirmation.GetProperty("items").GetInt64())
            .Should().Be(("crm", "done", 3));
        DateTimeOffset.Parse(confirmation.GetProperty("answeredAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            .Should().BeOnOrAfter(call.ReceivedAt.AddSeconds(-1)).And.BeOnOrBefore(DateTimeOffset.UtcNow);
        (await scenario.AuditEventuallyAsync("connector.answer", 1)).Should().ContainSingle();
    }

    /// <summary>
    /// Makes the receiver answer only once the request shows its connectors phase (or has closed), so a test sees that phase
    /// without racing an answer that comes at once; the task gives the phase the request was in before the answer.
    /// </summary>
    internal static Task<string?> AnswerOnceWaitingShows(WebhookReceiver receiver, ErasureScenario scenario, Func<ReceivedCall, Task> answer)
    {
        var shown = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Answer = async call =>
        {
            var (job, _) = await scenario.WaitForJobAsync(call.Json.GetProperty("requestId").GetString()!, j => j.GetProperty("phase").GetString() == "connectors" || ErasureScenario.IsClosed(j));
            shown.TrySetResult(job.GetProperty("phase").GetString());
            await answer(call);
        };
        return shown.Task;
    }

    [Fact]
    public async Task A_replayed_answer_is_refused_and_changes_nothing()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "cfr", Scale);
        await using var crm = WebhookReceiver.Start(Secret);
        using var system = api.ClientWithToken(scenario.Tenant, Roles.Service, "crm-system");
        var answered = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        crm.Answer = async call => answered.TrySetResult(await AnswerAsync(system, scenario.Tenant, call, "done", items: 2));
        await PutConnectorAsync(scenario, "crm", crm.Url);
        await scenario.SeedAsync("rita", fileVersions: 1);
        var jobId = (await (await scenario.SubmitErasureAsync("rita")).ReadJsonAsync()).GetProperty("id").GetString()!;
        (await answered.Task.WaitAsync(TimeSpan.FromSeconds(120), Ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        var replay = await system.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/connectors/crm", new { status = "failed", items = 0, message = "replayed" }, Ct);
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(90));

        replay.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await replay.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("connector-not-waiting");
        job.GetProperty("status").GetString().Should().Be("completed", "the first answer stands");
        var certificate = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync()).GetProperty("certificate");
        certificate.GetProperty("connectors")[0].GetProperty("status").GetString().Should().Be("done");
    }

    [Fact]
    public async Task Removing_a_connector_that_never_answers_releases_the_waiting_erasure_which_completes_without_it()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "cfd", RemovalScale);
        await using var crm = WebhookReceiver.Start(Secret);
        await PutConnectorAsync(scenario, "crm", crm.Url);
        await scenario.SeedAsync("lea", fileVersions: 1);
        var jobId = (await (await scenario.SubmitErasureAsync("lea")).ReadJsonAsync()).GetProperty("id").GetString()!;
        await scenario.WaitForJobAsync(jobId, j => j.GetProperty("phase").GetString() == "connectors" || ErasureScenario.IsClosed(j), TimeSpan.FromSeconds(90));
        await WaitUntilAsync(() => crm.Calls.Count == 1);

        var waiting = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/connectors", Ct)).ReadJsonAsync();
        var removed = await scenario.Admin.DeleteAsync($"/v1/tenants/{scenario.Tenant}/connectors/crm", Ct);
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(60));

        waiting.GetProperty("items")[0].GetProperty("status").GetString().Should().Be("waiting");
        removed.StatusCode.Should().Be(HttpStatusCode.NoContent);
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        var calls = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/connectors", Ct)).ReadJsonAsync();
        calls.GetProperty("items")[0].GetProperty("status").GetString().Should().Be("removed");
        var certificate = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync()).GetProperty("certificate");
        certificate.GetProperty("connectors").GetArrayLength().Should().Be(0, "a removed connector confirmed nothing");
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(100, deadline.Token);
        }
    }

    internal static async Task PutConnectorAsync(ErasureScenario scenario, string name, string url)
    {
        var put = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/connectors/{name}", new { url, secret = Secret, types = new[] { "deletion" } }, Ct);
        put.StatusCode.Should().Be(HttpStatusCode.Created, await put.Content.ReadAsStringAsync(Ct));
    }

    internal static Task<HttpResponseMessage> AnswerAsync(HttpClient system, string tenant, ReceivedCall call, string status, long items)
    {
        var body = call.Json;
        return system.PostAsJsonAsync($"/v1/tenants/{tenant}/requests/{body.GetProperty("requestId").GetString()}/connectors/{body.GetProperty("connector").GetString()}",
            new { status, items, message = status == "done" ? "erased from the CRM" : "the CRM is read-only today" }, CancellationToken.None);
    }
}

/// <summary>A connector that never answers: the job fails listing it, nothing is purged meanwhile, and retry calls it again.</summary>
public sealed class ConnectorTimeoutTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private const string Secret = "whsec-test-0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_connector_that_never_answers_fails_the_job_listing_it_and_retry_calls_it_again_to_completion()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "cft", ConnectorFanOutTests.Scale);
        await using var billing = WebhookReceiver.Start(Secret);
        using var system = api.ClientWithToken(scenario.Tenant, Roles.Service, "billing-system");
        await ConnectorFanOutTests.PutConnectorAsync(scenario, "billing", billing.Url);
        await scenario.SeedAsync("otto", fileVersions: 1);
        var recordId = scenario.Records["otto"][0];

        var jobId = (await (await scenario.SubmitErasureAsync("otto")).ReadJsonAsync()).GetProperty("id").GetString()!;
        var (failed, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(150));

        failed.GetProperty("status").GetString().Should().Be("failed", failed.ToString());
        failed.GetProperty("errors").ToString().Should().Contain("billing did not answer within its window");
        billing.Calls.Should().ContainSingle();
        (await scenario.RecordItemExistsAsync(recordId)).Should().BeTrue("the purge waits for every connector's confirmation");

        billing.Answer = call => ConnectorFanOutTests.AnswerAsync(system, scenario.Tenant, call, "done", items: 1);
        var retry = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/retry", null, Ct);
        retry.StatusCode.Should().Be(HttpStatusCode.Accepted, await retry.Content.ReadAsStringAsync(Ct));
        var (completed, _) = await scenario.WaitForJobAsync(jobId, j => j.GetProperty("status").GetString() is "completed" or "failed", TimeSpan.FromSeconds(90));

        completed.GetProperty("status").GetString().Should().Be("completed", completed.ToString());
        billing.Calls.Should().HaveCount(2, "retry called the connector again");
        (await scenario.RecordItemExistsAsync(recordId)).Should().BeFalse();
        var certificate = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/certificate", Ct)).ReadJsonAsync()).GetProperty("certificate");
        certificate.GetProperty("connectors")[0].GetProperty("name").GetString().Should().Be("billing");
    }
}

/// <summary>An export fanned out to the connectors serving exports: it waits for their answers before it collects, and its manifest lists them.</summary>
public sealed class ConnectorExportTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private const string Secret = "whsec-test-0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_export_calls_the_connectors_serving_exports_only_and_its_manifest_lists_their_confirmations()
    {
        // Real time: the export's download link must still be good when the test downloads it (7 days are 6 s at Scale).
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "cfe", timeScale: 1);
        await using var crm = WebhookReceiver.Start(Secret);
        await using var billing = WebhookReceiver.Start(Secret);
        using var system = api.ClientWithToken(scenario.Tenant, Roles.Service, "crm-system");
        var waiting = ConnectorFanOutTests.AnswerOnceWaitingShows(crm, scenario, call => ConnectorFanOutTests.AnswerAsync(system, scenario.Tenant, call, "done", items: 5));
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/connectors/crm", new { url = crm.Url, secret = Secret, types = new[] { "export", "deletion" } }, Ct)).EnsureSuccessStatusCode();
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/connectors/billing", new { url = billing.Url, secret = Secret, types = new[] { "deletion" } }, Ct)).EnsureSuccessStatusCode();
        await scenario.SeedAsync("ines", fileVersions: 1);

        var submitted = await Exports.ExportTests.SubmitExportAsync(scenario, "ines", "zip");
        var jobId = (await submitted.ReadJsonAsync()).GetProperty("id").GetString()!;
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(90));

        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        (await waiting).Should().Be("connectors");
        crm.Calls.Should().ContainSingle().Which.Json.GetProperty("type").GetString().Should().Be("export");
        billing.Calls.Should().BeEmpty("it serves deletions only");
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        var volume = Exports.ExportTests.Unzip(await Exports.ExportTests.DownloadAsync(admin, scenario.Tenant, jobId, 1));
        using var manifest = JsonDocument.Parse(volume["manifest.json"]);
        var listed = manifest.RootElement.GetProperty("connectors").EnumerateArray().Should().ContainSingle().Subject;
        (listed.GetProperty("name").GetString(), listed.GetProperty("status").GetString(), listed.GetProperty("items").GetInt64()).Should().Be(("crm", "done", 5));
    }

    [Fact]
    public async Task An_export_whose_connector_answers_failed_fails_before_collecting_and_retry_calls_it_again()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "cff", ConnectorFanOutTests.Scale);
        await using var crm = WebhookReceiver.Start(Secret);
        using var system = api.ClientWithToken(scenario.Tenant, Roles.Service, "crm-system");
        crm.Answer = call => ConnectorFanOutTests.AnswerAsync(system, scenario.Tenant, call, "failed", items: 0);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/connectors/crm", new { url = crm.Url, secret = Secret, types = new[] { "export" } }, Ct)).EnsureSuccessStatusCode();
        await scenario.SeedAsync("ines", fileVersions: 1);
        var jobId = (await (await Exports.ExportTests.SubmitExportAsync(scenario, "ines", "zip")).ReadJsonAsync()).GetProperty("id").GetString()!;

        var (failed, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(90));
        crm.Answer = call => ConnectorFanOutTests.AnswerAsync(system, scenario.Tenant, call, "done", items: 2);
        var retry = await scenario.Admin.PostAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/retry", null, Ct);
        var (completed, _) = await scenario.WaitForJobAsync(jobId, j => j.GetProperty("status").GetString() is "completed" or "failed" && j.GetProperty("executionName").GetString()!.EndsWith("-2", StringComparison.Ordinal), TimeSpan.FromSeconds(90));

        failed.GetProperty("status").GetString().Should().Be("failed");
        failed.GetProperty("errors").ToString().Should().Contain("crm answered failed").And.NotContain("read-only", "the system's own words stay with its call");
        var call = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/connectors", Ct)).ReadJsonAsync()).GetProperty("items")[0];
        (call.GetProperty("status").GetString(), call.GetProperty("message").GetString()).Should().Be(("done", "erased from the CRM"), "the retry's answer replaced the failed one");
        (!failed.TryGetProperty("download", out var download) || download.ValueKind != JsonValueKind.Object).Should().BeTrue("nothing was exported");
        retry.StatusCode.Should().Be(HttpStatusCode.Accepted, await retry.Content.ReadAsStringAsync(Ct));
        completed.GetProperty("status").GetString().Should().Be("completed", completed.ToString());
        crm.Calls.Should().HaveCount(2);
    }
}
