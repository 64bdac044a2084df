using System.Net;
using System.Net.Http.Json;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// What the console pages need from the API beyond the public routes: the pages and scripts themselves, the local dev sign-in,
/// a request's executions with their history, and an export link as JSON. (The pages' flows run in Lethe.Browser.Tests.)
/// </summary>
public sealed class ConsoleEndpointTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_pages_and_their_modules_are_served_from_the_assembly_under_a_strict_content_security_policy()
    {
        using var client = api.CreateClient();

        using var page = await client.GetAsync(new Uri("/admin", UriKind.Relative), Ct);
        using var module = await client.GetAsync(new Uri("/console/js/admin/main.js", UriKind.Relative), Ct);

        page.StatusCode.Should().Be(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        page.Headers.GetValues("Content-Security-Policy").Single().Should().StartWith("default-src 'none'; script-src 'self';");
        page.Headers.CacheControl!.NoStore.Should().BeTrue();
        (await page.Content.ReadAsStringAsync(Ct)).Should().Contain("<script type=\"module\" src=\"/console/js/admin/main.js\"></script>");
        module.StatusCode.Should().Be(HttpStatusCode.OK);
        module.Content.Headers.ContentType!.MediaType.Should().Be("text/javascript");
        module.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");
    }

    [Theory]
    [InlineData("/console/js/missing.js")]
    [InlineData("/console/admin.html")]
    [InlineData("/console/js/../../appsettings.json")]
    [InlineData("/console/Lethe.Api.dll")]
    public async Task Anything_but_an_embedded_script_or_style_under_console_is_not_found(string path)
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative), Ct);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task The_local_dev_sign_in_mints_a_token_that_the_api_accepts_for_that_tenant_and_role()
    {
        using var client = api.CreateClient();
        var config = await client.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/console/config", UriKind.Relative), Ct);
        config.GetProperty("devSignIn").GetBoolean().Should().BeTrue();

        using var minted = await client.PostAsJsonAsync(new Uri("/console/dev-token", UriKind.Relative), new { tenant = "console-dev", role = "auditor", sub = "auditor-9" }, Ct);
        minted.StatusCode.Should().Be(HttpStatusCode.OK);
        var token = (await minted.ReadJsonAsync()).GetProperty("token").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/tenants/console-dev/audit/verify");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var read = await client.SendAsync(request, Ct);
        using var write = new HttpRequestMessage(HttpMethod.Post, "/v1/tenants/console-dev/legal-holds") { Content = JsonContent.Create(new { subjectId = "x", reason = "y" }) };
        write.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var refused = await client.SendAsync(write, Ct);

        read.StatusCode.Should().Be(HttpStatusCode.OK, "an auditor reads the audit");
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden, "the minted token holds the auditor role alone");
    }

    [Fact]
    public async Task The_dev_sign_in_names_each_bad_field_and_mints_nothing()
    {
        using var client = api.CreateClient();

        using var response = await client.PostAsJsonAsync(new Uri("/console/dev-token", UriKind.Relative), new { tenant = "Not A Tenant", role = "root", sub = "has spaces" }, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await response.ReadJsonAsync();
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().BeEquivalentTo(["tenant", "role", "sub"]);
        problem.TryGetProperty("token", out _).Should().BeFalse();
    }

    [Fact]
    public async Task A_request_lists_its_executions_with_their_state_history_and_no_state_data()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exe");
        await scenario.SeedAsync("uma", fileVersions: 1);
        var jobId = (await (await scenario.SubmitErasureAsync("uma")).ReadJsonAsync()).GetProperty("id").GetString()!;
        await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);
        using var auditor = api.ClientWithToken(scenario.Tenant, Roles.Auditor, "auditor-1");

        // The job is completed by the Complete state; the execution ends a state later.
        var path = new Uri($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/executions", UriKind.Relative);
        string body;
        System.Text.Json.JsonElement execution;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await auditor.GetAsync(path, Ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            body = await response.Content.ReadAsStringAsync(Ct);
            execution = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray().Single();
            if (execution.GetProperty("status").GetString() != "RUNNING" || DateTimeOffset.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(250, Ct);
        }

        execution.GetProperty("name").GetString().Should().Be($"{jobId}-1");
        execution.GetProperty("status").GetString().Should().Be("SUCCEEDED");
        execution.GetProperty("consoleUrl").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null, "the local cloud has no Step Functions console");
        var events = execution.GetProperty("events").EnumerateArray().ToList();
        events.First().GetProperty("type").GetString().Should().Be("ExecutionStarted");
        events.Should().Contain(e => e.GetProperty("state").GetString() == "Certify");
        events.Last().GetProperty("type").GetString().Should().Be("ExecutionSucceeded");
        body.Should().NotContain("uma", "no state input or output (which could name the subject) is shown");
    }

    [Fact]
    public async Task Executions_are_for_auditors_and_admins_of_the_requests_own_tenant()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exa");
        await scenario.SeedAsync("vic", fileVersions: 1);
        var jobId = (await (await scenario.SubmitErasureAsync("vic")).ReadJsonAsync()).GetProperty("id").GetString()!;
        using var service = api.ClientWithToken(scenario.Tenant, Roles.Service, "coaching-app");
        using var foreign = api.ClientWithToken("exa-other", Roles.TenantAdmin, "admin-x");
        using var subject = api.ClientWithToken(scenario.Tenant, Roles.Subject, "vic");
        var path = new Uri($"/v1/tenants/{scenario.Tenant}/requests/{jobId}/executions", UriKind.Relative);

        (await service.GetAsync(path, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await subject.GetAsync(path, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await foreign.GetAsync(path, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await scenario.Admin.GetAsync(new Uri($"/v1/tenants/{scenario.Tenant}/requests/nope/executions", UriKind.Relative), Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_id_longer_than_any_request_id_is_not_found_by_executions_or_cancel()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exl");
        var id = new string('j', 2000);

        using var executions = await scenario.Admin.GetAsync(new Uri($"/v1/tenants/{scenario.Tenant}/requests/{id}/executions", UriKind.Relative), Ct);
        using var cancel = await scenario.Admin.PostAsync(new Uri($"/v1/tenants/{scenario.Tenant}/requests/{id}/cancel", UriKind.Relative), null, Ct);

        // Not looked up: DynamoDB refuses a key over 1,024 bytes, which would surface as our 500.
        executions.StatusCode.Should().Be(HttpStatusCode.NotFound);
        cancel.StatusCode.Should().Be(HttpStatusCode.NotFound);
        executions.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task An_export_link_is_answered_as_json_with_redirect_false_and_as_a_redirect_otherwise()
    {
        // Real time: at the fast scale the 7-day link would expire within a second of the export completing.
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "exl", timeScale: 1);
        await scenario.SeedAsync("wes", fileVersions: 1);
        var submitted = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests", new { type = "export", subjectId = "wes", format = "json" }, Ct);
        var jobId = (await submitted.ReadJsonAsync()).GetProperty("id").GetString()!;
        await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);
        using var admin = api.ClientWithTokenNoRedirects(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        var path = $"/v1/tenants/{scenario.Tenant}/requests/{jobId}/download";

        using var linked = await admin.GetAsync(new Uri($"{path}?redirect=false", UriKind.Relative), Ct);
        using var json = new HttpRequestMessage(HttpMethod.Get, path);
        json.Headers.Accept.ParseAdd("application/json");
        using var redirected = await admin.SendAsync(json, Ct);
        using var bad = await admin.GetAsync(new Uri($"{path}?redirect=maybe", UriKind.Relative), Ct);

        linked.StatusCode.Should().Be(HttpStatusCode.OK);
        var link = await linked.ReadJsonAsync();
        link.GetProperty("url").GetString().Should().Contain(jobId).And.Contain("X-Amz-Signature");
        link.GetProperty("part").GetInt32().Should().Be(1);
        link.GetProperty("expiresAt").GetDateTimeOffset().Should().BeCloseTo(DateTimeOffset.UtcNow.AddMinutes(5), TimeSpan.FromMinutes(1));
        linked.Headers.CacheControl!.NoStore.Should().BeTrue("a cached link would skip the audited call");
        redirected.StatusCode.Should().Be(HttpStatusCode.Redirect, "a client that accepts JSON still gets the file unless it asks otherwise");
        redirected.Headers.CacheControl!.NoStore.Should().BeTrue();
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
