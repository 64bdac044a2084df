using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Catalog;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Requests;

/// <summary>
/// Notifications through one port (issue 18, items 2 and 3; API.md, Notifications and Deadlines): every notice is an execution
/// of workflows/notify.asl.json that records it in the tenant's outbox and the audit and publishes it; ids only.
/// </summary>
public sealed class NotificationTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The tenant's outbox, read until <paramref name="until"/> holds (notices are recorded by their own executions) or 30 s passed.</summary>
    internal static async Task<List<JsonElement>> OutboxAsync(ErasureScenario scenario, Func<List<JsonElement>, bool> until)
    {
        var items = new List<JsonElement>();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var response = await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/notifications?limit=200", Ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
            items = [.. (await response.ReadJsonAsync()).GetProperty("items").EnumerateArray().Select(i => i.Clone())];
            if (until(items))
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
        }

        return items;
    }

    internal static bool Has(List<JsonElement> items, string eventName, string requestId) =>
        items.Any(i => i.GetProperty("event").GetString() == eventName && i.GetProperty("requestId").GetString() == requestId);

    [Fact]
    public async Task A_completed_erasure_and_a_ready_export_each_leave_one_id_only_notice_in_the_outbox_and_the_audit()
    {
        // An 8-second window, and 90 days to answer (about 25 s here): the default 30 would leave the erasure a scaled day after
        // its window to purge, and a late completion would add a request.overdue notice to what this test counts.
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "note", timeScale: 29 * 86_400 / 8);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/requests", new { requestDeadline = "P90D" }, Ct)).EnsureSuccessStatusCode();
        await scenario.SeedAsync("mira.k@example.com", fileVersions: 1);
        await scenario.SeedAsync("olaf", fileVersions: 1);
        var export = (await (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests", new { type = "export", subjectId = "olaf" }, Ct)).ReadJsonAsync()).GetProperty("id").GetString()!;
        var erasure = (await (await scenario.SubmitErasureAsync("mira.k@example.com")).ReadJsonAsync()).GetProperty("id").GetString()!;
        (await scenario.WaitForJobAsync(export, ErasureScenario.IsClosed)).Job.GetProperty("status").GetString().Should().Be("completed");
        (await scenario.WaitForJobAsync(erasure, ErasureScenario.IsClosed)).Job.GetProperty("status").GetString().Should().Be("completed");

        var outbox = await OutboxAsync(scenario, items => Has(items, "request.completed", erasure) && Has(items, "export.ready", export));
        var raw = JsonSerializer.Serialize(outbox);
        var sent = await scenario.AuditEventuallyAsync("notification.send", 2);

        outbox.Should().HaveCount(2, "one notice per event and request: " + raw);
        Has(outbox, "request.completed", erasure).Should().BeTrue(raw);
        Has(outbox, "export.ready", export).Should().BeTrue(raw);
        outbox.Should().OnlyContain(i => i.GetProperty("channel").GetString() == "sns");
        outbox.Select(i => i.GetProperty("requestId").GetString()).Should().Equal([erasure, export], "newest request first");
        raw.Should().NotContain("mira").And.NotContain("olaf", "a notice names requests, never subjects");
        sent.Select(e => e.GetProperty("target").GetString()).Should().BeEquivalentTo([$"request/{erasure}", $"request/{export}"]);
    }

    [Fact]
    public async Task A_request_waiting_for_approval_is_announced_and_an_overdue_one_is_flagged_exactly_once()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "over");
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/requests", new { approval = "one" }, Ct)).EnsureSuccessStatusCode();
        var waiting = await (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests", new { type = "export", subjectId = "pia" }, Ct)).ReadJsonAsync();
        var jobId = waiting.GetProperty("id").GetString()!;
        // 30 days on this tenant's clock are about four seconds.
        await Task.Delay(waiting.GetProperty("deadline").GetDateTimeOffset() - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300), Ct);
        var check = $"{{\"tenantIds\":[\"{scenario.Tenant}\"]}}";

        var (first, firstFailed) = await scenario.InvokeAsync(Handlers.RequestOverdueSchedule, check);
        var (second, _) = await scenario.InvokeAsync(Handlers.RequestOverdueSchedule, check);
        var outbox = await OutboxAsync(scenario, items => Has(items, "request.overdue", jobId) && Has(items, "request.awaiting-approval", jobId));
        var job = await scenario.JobAsync(jobId);
        var overdueEvents = await scenario.AuditEventuallyAsync("request.overdue", 1);

        firstFailed.Should().BeFalse(first.ToString());
        first.GetProperty("flagged").GetInt32().Should().Be(1);
        second.GetProperty("flagged").GetInt32().Should().Be(0, "a request is flagged once, however often the check runs");
        job.GetProperty("overdue").GetBoolean().Should().BeTrue();
        job.GetProperty("status").GetString().Should().Be("awaiting-approval", "the check changes no status");
        outbox.Count(i => i.GetProperty("event").GetString() == "request.overdue").Should().Be(1);
        Has(outbox, "request.awaiting-approval", jobId).Should().BeTrue();
        overdueEvents.Should().ContainSingle().Which.GetProperty("target").GetString().Should().Be($"request/{jobId}");
    }

    [Fact]
    public async Task The_tenants_addresses_are_subscribed_to_its_notices_only_and_an_address_taken_off_is_unsubscribed()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "mail");
        var topic = cloud.Cloud.Environment[ResourceCatalog.Notifications.ArnVariable];
        var (first, second) = ($"privacy+{scenario.Tenant}@example.com", $"dpo+{scenario.Tenant}@example.com");

        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/requests", new { notifications = new { emails = new[] { first, second } } }, Ct)).EnsureSuccessStatusCode();
        var subscribed = await SubscriptionsAsync(topic, [first, second], s => s.Count == 2);
        var recorded = await RecordedAsync(scenario.Tenant, r => r.Count == 2);
        var policies = new List<string?>();
        foreach (var arn in recorded.Values)
        {
            policies.Add(await cloud.Cloud.Sns.FilterPolicyAsync(arn, Ct));
        }

        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/settings/requests", new { notifications = new { emails = new[] { second } } }, Ct)).EnsureSuccessStatusCode();
        var after = await SubscriptionsAsync(topic, [first, second], s => s.Count == 1);
        var recordedAfter = await RecordedAsync(scenario.Tenant, r => r.Count == 1);

        subscribed.Select(s => s.Endpoint).Should().BeEquivalentTo([first, second]);
        subscribed.Should().OnlyContain(s => s.Protocol == "email");
        recorded.Keys.Should().BeEquivalentTo([first, second]);
        policies.Should().HaveCount(2).And.OnlyContain(p => p == $"{{\"tenantId\":[\"{scenario.Tenant}\"],\"audience\":[\"tenant\"]}}", "an address hears only its own tenant's notices, not the platform's");

        after.Should().ContainSingle().Which.Endpoint.Should().Be(second);
        recordedAfter.Should().Equal(new Dictionary<string, string> { [second] = recorded[second] }, "an address kept on the list keeps its subscription (no second confirmation e-mail)");
    }

    /// <summary>The subscriptions recorded on the tenant (address → ARN), read until <paramref name="until"/> holds or 30 s passed.</summary>
    private async Task<Dictionary<string, string>> RecordedAsync(string tenant, Func<Dictionary<string, string>, bool> until)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var table = Lethe.Aws.Configuration.ResourceNames.FromEnvironment().Table(ResourceCatalog.Tenants);
        var recorded = new Dictionary<string, string>();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var item = (await dynamo.GetItemAsync(table, new() { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = "PROFILE" } }, Ct)).Item;
            recorded = item is not null && item.TryGetValue("emailSubscriptions", out var map) && map.M is { } entries
                ? entries.ToDictionary(e => e.Key, e => e.Value.S)
                : [];
            if (until(recorded))
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
        }

        return recorded;
    }

    /// <summary>The topic's subscriptions of <paramref name="endpoints"/>, read until <paramref name="until"/> holds (the workflow runs on its own) or 30 s passed.</summary>
    private async Task<List<(string Arn, string Protocol, string Endpoint)>> SubscriptionsAsync(string topic, string[] endpoints, Func<List<(string Arn, string Protocol, string Endpoint)>, bool> until)
    {
        var found = new List<(string Arn, string Protocol, string Endpoint)>();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            found = [.. (await cloud.Cloud.Sns.ListSubscriptionsAsync(topic, Ct)).Where(s => endpoints.Contains(s.Endpoint))];
            if (until(found))
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
        }

        return found;
    }

    [Fact]
    public async Task The_outbox_is_the_tenant_admins_and_refuses_bad_pages()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "nbox");
        using var auditor = api.ClientWithToken(scenario.Tenant, Roles.Auditor, "auditor-1");
        using var other = api.ClientWithToken("someone-else", Roles.TenantAdmin, "admin-x");
        var url = $"/v1/tenants/{scenario.Tenant}/notifications";

        (await scenario.Service.GetAsync(url, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await auditor.GetAsync(url, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await other.GetAsync(url, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await scenario.Admin.GetAsync($"{url}?limit=0", Ct)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await scenario.Admin.GetAsync($"{url}?cursor=%%%", Ct)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var foreignKey = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("JOB#job_0001"));
        (await scenario.Admin.GetAsync($"{url}?cursor={Uri.EscapeDataString(foreignKey)}", Ct)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var empty = await (await scenario.Admin.GetAsync(url, Ct)).ReadJsonAsync();
        empty.GetProperty("items").GetArrayLength().Should().Be(0);
    }
}
