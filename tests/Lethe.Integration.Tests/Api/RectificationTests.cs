using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// PATCH …/records/{id} (issue 18, item 5: rectification): the new values read back, sealed afresh under the subject's KEK,
/// classified again, the old values gone, and the audit naming the fields only; refused cleanly for every bad case.
/// </summary>
public sealed class RectificationTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, string tenant, string subject, string recordId, object body) =>
        client.PatchAsync($"/v1/tenants/{tenant}/subjects/{subject}/records/{recordId}", JsonContent.Create(body), Ct);

    private async Task<Dictionary<string, AttributeValue>> RawRecordAsync(string tenant, string recordId)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var got = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = ResourceNames.FromEnvironment().Table(ResourceCatalog.Records),
            Key = new() { ["pk"] = new() { S = $"TENANT#{tenant}" }, ["sk"] = new() { S = $"RECORD#{recordId}" } },
            ConsistentRead = true,
        }, Ct);
        return got.Item;
    }

    private static async Task<List<JsonElement>> AuditEventsAsync(HttpClient admin, string tenant, string action)
    {
        for (var attempt = 0; ; attempt++)
        {
            var page = await (await admin.GetAsync($"/v1/tenants/{tenant}/audit?limit=1000", Ct)).ReadJsonAsync();
            var events = page.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("action").GetString() == action).Select(e => e.Clone()).ToList();
            if (events.Count > 0 || attempt > 40)
            {
                return events;
            }

            await Task.Delay(200, Ct);
        }
    }

    [Fact]
    public async Task A_rectified_transcript_reads_back_changed_sealed_afresh_reclassified_and_audited_by_field_names_only()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rect");
        await scenario.SeedAsync("ana", fileVersions: 1);
        var recordId = scenario.Records["ana"][1];
        var before = await RawRecordAsync(scenario.Tenant, recordId);

        var patched = await PatchAsync(scenario.Service, scenario.Tenant, "ana", recordId, new { fields = new { body = "Second session, corrected", contact = "ana@example.org" } });

        patched.StatusCode.Should().Be(HttpStatusCode.OK, await patched.Content.ReadAsStringAsync(Ct));
        var view = await patched.ReadJsonAsync();
        view.GetProperty("fields").GetProperty("body").GetString().Should().Be("Second session, corrected");
        view.GetProperty("pii").EnumerateArray().Select(p => p.GetString()).Should().Contain("email", "the record is classified again");
        var read = await (await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/subjects/ana/records/{recordId}", Ct)).ReadJsonAsync();
        read.GetProperty("fields").GetProperty("contact").GetString().Should().Be("ana@example.org");
        var raw = await RawRecordAsync(scenario.Tenant, recordId);
        raw["rev"].N.Should().Be("1");
        raw["fields"].M["body"].B.ToArray().Should().NotEqual(before["fields"].M["body"].B.ToArray(), "every value is sealed afresh");
        System.Text.Encoding.UTF8.GetString(raw["fields"].M["body"].B.ToArray()).Should().NotContain("corrected", "raw reads show no plaintext");
        var audited = (await AuditEventsAsync(scenario.Admin, scenario.Tenant, "record.rectify")).Should().ContainSingle().Subject;
        var details = audited.GetProperty("details");
        details.GetProperty("fieldsSet").EnumerateArray().Select(f => f.GetString()).Should().Equal("body", "contact");
        details.GetRawText().Should().NotContain("corrected").And.NotContain("example.org").And.NotContain("Second session", "the audit names fields, never values");
    }

    [Fact]
    public async Task Null_removes_a_field_but_the_last_field_cannot_be_removed()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rectnull");
        var created = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/ben/records",
            new { category = "note", fields = new { text = "plain note", mood = "calm" } }, Ct);
        var recordId = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;

        var removed = await PatchAsync(scenario.Service, scenario.Tenant, "ben", recordId, new Dictionary<string, object> { ["fields"] = new Dictionary<string, string?> { ["mood"] = null } });
        var last = await PatchAsync(scenario.Service, scenario.Tenant, "ben", recordId, new Dictionary<string, object> { ["fields"] = new Dictionary<string, string?> { ["text"] = null } });

        removed.StatusCode.Should().Be(HttpStatusCode.OK);
        (await removed.ReadJsonAsync()).GetProperty("fields").EnumerateObject().Select(f => f.Name).Should().Equal("text");
        last.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var read = await (await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/subjects/ben/records/{recordId}", Ct)).ReadJsonAsync();
        read.GetProperty("fields").GetProperty("text").GetString().Should().Be("plain note", "a refused rectification changes nothing");
    }

    [Fact]
    public async Task A_rectification_is_refused_for_a_bad_body_another_subjects_record_a_subject_token_and_an_open_erasure()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rectbad");
        await scenario.SeedAsync("cleo", fileVersions: 1);
        await scenario.SeedAsync("dora", fileVersions: 1);
        var cleos = scenario.Records["cleo"][0];
        using var subject = api.ClientWithToken(scenario.Tenant, Roles.Subject, "cleo");

        var empty = await PatchAsync(scenario.Service, scenario.Tenant, "cleo", cleos, new { fields = new { } });
        var badName = await PatchAsync(scenario.Service, scenario.Tenant, "cleo", cleos, new Dictionary<string, object> { ["fields"] = new Dictionary<string, string> { ["1bad"] = "x" } });
        var tooLong = await PatchAsync(scenario.Service, scenario.Tenant, "cleo", cleos, new { fields = new { body = new string('x', 64 * 1024 + 1) } });
        var wrongSubject = await PatchAsync(scenario.Service, scenario.Tenant, "dora", cleos, new { fields = new { body = "hijack" } });
        var unknown = await PatchAsync(scenario.Service, scenario.Tenant, "cleo", "rec_doesnotexist", new { fields = new { body = "x" } });
        var bySubject = await PatchAsync(subject, scenario.Tenant, "cleo", cleos, new { fields = new { body = "mine" } });
        (await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = "dora", reason = "litigation" }, Ct)).EnsureSuccessStatusCode();
        var underHold = await PatchAsync(scenario.Service, scenario.Tenant, "dora", scenario.Records["dora"][0], new { fields = new { body = "rewritten under a hold" } });
        (await scenario.SubmitErasureAsync("cleo")).StatusCode.Should().Be(HttpStatusCode.Accepted);
        var duringErasure = await PatchAsync(scenario.Service, scenario.Tenant, "cleo", cleos, new { fields = new { body = "too late" } });

        empty.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        badName.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        tooLong.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        wrongSubject.StatusCode.Should().Be(HttpStatusCode.NotFound, "a record is checked against its own subject");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        bySubject.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        underHold.StatusCode.Should().Be(HttpStatusCode.Conflict, "a held value is evidence: neither overwritten nor removed");
        (await underHold.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/legal-hold");
        (await RawRecordAsync(scenario.Tenant, scenario.Records["dora"][0])).Should().NotContainKey("rev");
        duringErasure.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await duringErasure.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/erasure-in-progress");
        (await RawRecordAsync(scenario.Tenant, cleos)).Should().NotContainKey("rev", "nothing was rectified");
    }

    [Fact]
    public async Task Concurrent_rectifications_never_lose_an_update()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "rectrace");
        var created = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/eli/records",
            new { category = "journal", fields = new { text = "start" } }, Ct);
        var recordId = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => PatchAsync(scenario.Service, scenario.Tenant, "eli", recordId, new { fields = new { text = $"edit {i}" } })));

        answers.Select(a => a.StatusCode).Should().OnlyContain(s => s == HttpStatusCode.OK || s == HttpStatusCode.Conflict);
        var applied = answers.Count(a => a.StatusCode == HttpStatusCode.OK);
        applied.Should().BeGreaterThan(0);
        (await RawRecordAsync(scenario.Tenant, recordId))["rev"].N.Should().Be(applied.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "every answered 200 is one revision: none overwrote another unseen");
    }
}
