using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Audit;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// The audit trail end to end: the API journals events, the local cloud's stream poller runs the real chainer handler, and
/// audit/verify recomputes every hash; tampering with the table is caught at the right seq.
/// </summary>
public sealed class AuditChainTests : IClassFixture<LetheApiFactory>
{
    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public AuditChainTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewTenant() => $"au-{Guid.NewGuid():N}"[..20];

    private static string AuditTable => ResourceNames.FromEnvironment().Table(ResourceCatalog.Audit);

    /// <summary>
    /// Polls verify until the chain holds <paramref name="records"/> events (the chainer runs asynchronously), with a deadline.
    /// The deadline is generous because moto deep-copies the whole Audit table for every transaction (each chain link is one),
    /// so late in a full test run, with the table holding thousands of items, linking 50 events can take tens of seconds.
    /// </summary>
    private static async Task<JsonElement> VerifiedWithAsync(HttpClient auditor, string tenant, int records, string query = "?from=0")
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await auditor.GetAsync($"/v1/tenants/{tenant}/audit/verify{query}", Ct);
            response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
            var verify = await HttpJson.ReadJsonAsync(response);
            if (!verify.GetProperty("valid").GetBoolean() || verify.GetProperty("records").GetInt64() >= records || deadline.Elapsed > TimeSpan.FromSeconds(90))
            {
                return verify;
            }

            await Task.Delay(100, Ct);
        }
    }

    private async Task<string> TenantWithEventsAsync(int holds)
    {
        var tenant = NewTenant();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin, "admin-1");
        for (var i = 0; i < holds; i++)
        {
            (await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/legal-holds", new { subjectId = $"s-{i}", reason = $"case {i}" }, Ct)).EnsureSuccessStatusCode();
        }

        return tenant;
    }

    [Fact]
    public async Task Audited_actions_are_chained_and_the_chain_verifies()
    {
        var tenant = await TenantWithEventsAsync(4);
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);

        var verify = await VerifiedWithAsync(auditor, tenant, 4);

        verify.GetProperty("valid").GetBoolean().Should().BeTrue(verify.GetRawText());
        verify.GetProperty("records").GetInt64().Should().Be(4);
        var page = await HttpJson.ReadJsonAsync(await auditor.GetAsync($"/v1/tenants/{tenant}/audit", Ct));
        var items = page.GetProperty("items").EnumerateArray().ToList();
        items.Select(i => i.GetProperty("seq").GetInt64()).Should().Equal(1, 2, 3, 4);
        items[0].GetProperty("prevHash").GetString().Should().Be(new string('0', 64));
        items.Zip(items.Skip(1)).Should().OnlyContain(p => p.Second.GetProperty("prevHash").GetString() == p.First.GetProperty("hash").GetString());
        items.Should().OnlyContain(i => i.GetProperty("action").GetString() == "legal-hold.create" && i.GetProperty("actor").GetProperty("sub").GetString() == "admin-1");
        verify.GetProperty("head").GetString().Should().Be(items[^1].GetProperty("hash").GetString());
    }

    [Fact]
    public async Task Changing_one_events_details_in_the_table_breaks_verification_at_that_seq()
    {
        var tenant = await TenantWithEventsAsync(3);
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);
        (await VerifiedWithAsync(auditor, tenant, 3)).GetProperty("valid").GetBoolean().Should().BeTrue();
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();

        await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = AuditTable,
            Key = new() { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = DynamoAuditChainStore.ChainKey(2) } },
            UpdateExpression = "SET details = :d",
            ExpressionAttributeValues = new() { [":d"] = new() { S = """{"subjectRef":"forged","reason":"nothing to see"}""" } },
        }, Ct);
        var verify = await HttpJson.ReadJsonAsync(await auditor.GetAsync($"/v1/tenants/{tenant}/audit/verify?from=0", Ct));

        (verify.GetProperty("valid").GetBoolean(), verify.GetProperty("brokenAt").GetInt64()).Should().Be((false, 2L));
    }

    [Fact]
    public async Task Deleting_one_event_from_the_table_breaks_verification_at_that_seq()
    {
        var tenant = await TenantWithEventsAsync(3);
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);
        (await VerifiedWithAsync(auditor, tenant, 3)).GetProperty("valid").GetBoolean().Should().BeTrue();
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();

        await dynamo.DeleteItemAsync(AuditTable, new() { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = DynamoAuditChainStore.ChainKey(2) } }, Ct);
        var verify = await HttpJson.ReadJsonAsync(await auditor.GetAsync($"/v1/tenants/{tenant}/audit/verify?from=0", Ct));

        (verify.GetProperty("valid").GetBoolean(), verify.GetProperty("brokenAt").GetInt64()).Should().Be((false, 2L));
    }

    [Fact]
    public async Task Fifty_concurrent_audited_requests_give_one_gap_free_chain()
    {
        var tenant = NewTenant();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);
        (await admin.GetAsync($"/v1/tenants/{tenant}/legal-holds", Ct)).EnsureSuccessStatusCode();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            admin.PostAsJsonAsync($"/v1/tenants/{tenant}/legal-holds", new { subjectId = $"s-{i}", reason = "bulk" }, Ct)));
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);
        var verify = await VerifiedWithAsync(auditor, tenant, 50);

        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.Created);
        verify.GetProperty("valid").GetBoolean().Should().BeTrue(verify.GetRawText());
        verify.GetProperty("records").GetInt64().Should().Be(50);
        var seqs = (await HttpJson.ReadJsonAsync(await auditor.GetAsync($"/v1/tenants/{tenant}/audit?limit=100", Ct)))
            .GetProperty("items").EnumerateArray().Select(i => i.GetProperty("seq").GetInt64()).ToList();
        seqs.Should().Equal(Enumerable.Range(1, 50).Select(i => (long)i));
    }

    [Fact]
    public async Task A_replayed_chainer_batch_changes_nothing()
    {
        var tenant = await TenantWithEventsAsync(2);
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);
        var before = await VerifiedWithAsync(auditor, tenant, 2);
        // A stream record as the Audit table sends it (keys and new image) for an event that is not, or no longer, unchained.
        var image = $$$"""
            {"pk":{"S":"TENANT#{{{tenant}}}"},"sk":{"S":"EVENT#20261125000000000#x"},"kind":{"S":"event"},"eventId":{"S":"x"},"tenantId":{"S":"{{{tenant}}}"},
             "at":{"S":"2026-11-25T00:00:00.000Z"},"actorSub":{"S":"admin-1"},"actorRole":{"S":"tenant-admin"},"action":{"S":"legal-hold.create"},
             "target":{"S":"legal-hold/x"},"outcome":{"S":"success"},"details":{"S":"{}"},"chained":{"BOOL":false},"unchainedPk":{"S":"TENANT#{{{tenant}}}"}}
            """;
        var replay = $$$"""
            {"Records":[{"eventID":"1","eventName":"INSERT","eventSourceARN":"arn:replay","dynamodb":{"Keys":{"pk":{"S":"TENANT#{{{tenant}}}"},"sk":{"S":"EVENT#20261125000000000#x"}},"NewImage":{{{image}}}}}]}
            """;
        using var http = new HttpClient();

        for (var i = 0; i < 3; i++)
        {
            using var invoked = await http.PostAsync(new Uri(_cloud.Cloud.Endpoint, "2015-03-31/functions/audit-chainer/invocations"), new StringContent(replay, Encoding.UTF8, "application/json"), Ct);
            invoked.Headers.Contains("X-Amz-Function-Error").Should().BeFalse();
        }

        var after = await HttpJson.ReadJsonAsync(await auditor.GetAsync($"/v1/tenants/{tenant}/audit/verify?from=0", Ct));
        (after.GetProperty("records").GetInt64(), after.GetProperty("head").GetString()).Should().Be((2L, before.GetProperty("head").GetString()));
    }

    [Fact]
    public async Task The_audit_exports_as_CSV_with_the_next_cursor_in_a_header()
    {
        var tenant = await TenantWithEventsAsync(3);
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);
        await VerifiedWithAsync(auditor, tenant, 3);

        using var response = await auditor.GetAsync($"/v1/tenants/{tenant}/audit?format=csv&limit=2", Ct);

        response.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be("seq,at,actorSub,actorRole,action,target,outcome,details,prevHash,hash");
        lines.Should().HaveCount(3);
        response.Headers.GetValues("X-Next-Cursor").Single().Should().Be("3");
    }

    [Fact]
    public async Task A_time_range_returns_exactly_the_events_in_it_page_by_page_through_its_cursor()
    {
        var tenant = await TenantWithEventsAsync(5);
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);
        await VerifiedWithAsync(auditor, tenant, 5);
        var all = (await (await auditor.GetAsync($"/v1/tenants/{tenant}/audit", Ct)).ReadJsonAsync()).GetProperty("items").EnumerateArray()
            .Select(e => (Seq: e.GetProperty("seq").GetInt64(), At: e.GetProperty("at").GetString()!)).ToList();
        var from = Uri.EscapeDataString(all[1].At);
        var to = Uri.EscapeDataString(all[4].At);
        var expected = all.Where(e => string.CompareOrdinal(e.At, all[1].At) >= 0 && string.CompareOrdinal(e.At, all[4].At) < 0).Select(e => e.Seq).ToList();

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await (await auditor.GetAsync($"/v1/tenants/{tenant}/audit?from={from}&to={to}&limit=1{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", Ct)).ReadJsonAsync();
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        seen.Should().Equal(expected, "from is inclusive, to exclusive, and every event comes once in time order");
        expected.Should().NotBeEmpty();
        var foreign = await auditor.GetAsync($"/v1/tenants/{tenant}/audit?from={from}&cursor=12", Ct);
        foreign.StatusCode.Should().Be(HttpStatusCode.BadRequest, "a seq cursor does not belong to a time range");
    }

    [Fact]
    public async Task A_refused_change_by_a_caller_of_the_tenant_is_audited_as_denied_but_a_strangers_is_not_written_there()
    {
        var tenant = await TenantWithEventsAsync(1);
        using var service = _api.ClientWithToken(tenant, Roles.Service, "client-app");
        using var stranger = _api.ClientWithToken(NewTenant(), Roles.TenantAdmin, "intruder");

        (await service.PutAsJsonAsync($"/v1/tenants/{tenant}/settings/retention", new { @default = "P1Y" }, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await stranger.PutAsJsonAsync($"/v1/tenants/{tenant}/settings/retention", new { @default = "P1Y" }, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);
        await VerifiedWithAsync(auditor, tenant, 2);

        var items = (await (await auditor.GetAsync($"/v1/tenants/{tenant}/audit", Ct)).ReadJsonAsync()).GetProperty("items").EnumerateArray().ToList();
        var denied = items.Single(i => i.GetProperty("outcome").GetString() == "denied");
        (denied.GetProperty("action").GetString(), denied.GetProperty("actor").GetProperty("sub").GetString(), denied.GetProperty("actor").GetProperty("role").GetString())
            .Should().Be(("access.ManageSettings", "client-app", "service"));
        items.Should().NotContain(i => i.GetRawText().Contains("intruder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_change_is_journaled_with_its_route_template_never_the_path_a_caller_sent()
    {
        var tenant = await TenantWithEventsAsync(1);
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor, "auditor-1");

        // Routing ignores case: an upper-case segment must not slip a subject id (or any chosen text) into the chain.
        (await auditor.PostAsJsonAsync($"/v1/tenants/{tenant}/SUBJECTS/jane.doe@example.com/records", new { category = "note", fields = new { text = "x" } }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden);
        await VerifiedWithAsync(auditor, tenant, 2);

        var denied = (await (await auditor.GetAsync($"/v1/tenants/{tenant}/audit", Ct)).ReadJsonAsync()).GetProperty("items").EnumerateArray()
            .Single(i => i.GetProperty("outcome").GetString() == "denied");
        denied.GetProperty("target").GetString().Should().Be("/v1/tenants/{tenantId}/subjects/{subjectId}/records/");
        denied.GetRawText().Should().NotContain("jane.doe", "the chain keeps records for 7 years and no erasure reaches it");
    }

    [Theory]
    [InlineData(Roles.Service)]
    [InlineData(Roles.Subject)]
    public async Task Only_auditors_and_admins_read_the_audit(string role)
    {
        var tenant = NewTenant();
        using var client = _api.ClientWithToken(tenant, role);

        (await client.GetAsync($"/v1/tenants/{tenant}/audit", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await client.GetAsync($"/v1/tenants/{tenant}/audit/verify", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Another_tenants_auditor_gets_403()
    {
        var tenant = await TenantWithEventsAsync(1);
        using var stranger = _api.ClientWithToken(NewTenant(), Roles.Auditor);

        (await stranger.GetAsync($"/v1/tenants/{tenant}/audit", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("format=xml")]
    [InlineData("limit=0")]
    [InlineData("from=yesterday")]
    [InlineData("cursor=abc")]
    public async Task Bad_audit_queries_are_a_400(string query)
    {
        var tenant = NewTenant();
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);

        (await auditor.GetAsync($"/v1/tenants/{tenant}/audit?{query}", Ct)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
