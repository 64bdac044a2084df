using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>Records end to end against the local cloud: classification, field encryption at rest, reads, roles, isolation, bad input.</summary>
public sealed class RecordTests : IClassFixture<LetheApiFactory>
{
    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    public RecordTests(LetheApiFactory api, LocalCloudFixture cloud)
    {
        _api = api;
        _cloud = cloud;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewTenant() => $"rt-{Guid.NewGuid():N}"[..20];

    private static Task<HttpResponseMessage> PostRecordAsync(HttpClient client, string tenant, string subject, object body) =>
        client.PostAsJsonAsync($"/v1/tenants/{tenant}/subjects/{subject}/records", body, Ct);

    private static readonly object Transcript = new
    {
        category = "transcript",
        visibility = "coach_only",
        fields = new Dictionary<string, string>
        {
            ["body"] = "Coach: How was the week? Client: Rough, email me at anna.k@example.com",
            ["title"] = "Session 12 with Anna",
        },
    };

    private async Task<List<string>> ScanAllAsync(string table)
    {
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        var raw = new List<string>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.ScanAsync(new ScanRequest { TableName = ResourceNames.FromEnvironment().Table(table == "Records" ? ResourceCatalog.Records : table == "Inventory" ? ResourceCatalog.Inventory : table == "Keys" ? ResourceCatalog.Keys : ResourceCatalog.Audit), ExclusiveStartKey = start }, Ct);
            foreach (var item in page.Items)
            {
                var text = new StringBuilder();
                foreach (var (name, value) in item)
                {
                    text.Append(name).Append('=').Append(value.S).Append(value.B is null ? string.Empty : Encoding.UTF8.GetString(value.B.ToArray()));
                    foreach (var (inner, innerValue) in value.M ?? [])
                    {
                        text.Append(inner).Append('=').Append(innerValue.S).Append(innerValue.B is null ? string.Empty : Encoding.UTF8.GetString(innerValue.B.ToArray()));
                    }
                }

                raw.Add(text.ToString());
            }

            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return raw;
    }

    [Fact]
    public async Task A_transcript_is_classified_encrypted_at_rest_and_read_back_in_clear()
    {
        var tenant = NewTenant();
        using var service = _api.ClientWithToken(tenant, Roles.Service, "client-app");

        using var created = await PostRecordAsync(service, tenant, "anna-k", Transcript);

        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var body = await HttpJson.ReadJsonAsync(created);
        body.GetProperty("classification").GetString().Should().Be("restricted");
        body.GetProperty("encrypted").GetBoolean().Should().BeTrue();
        body.GetProperty("pii").EnumerateArray().Select(p => p.GetString()).Should().Contain("email");
        (body.GetProperty("retainUntil").GetDateTimeOffset() - body.GetProperty("createdAt").GetDateTimeOffset()).Should().Be(TimeSpan.FromDays(730));
        var id = body.GetProperty("id").GetString();
        var read = await HttpJson.ReadJsonAsync(await service.GetAsync($"/v1/tenants/{tenant}/subjects/anna-k/records/{id}", Ct));
        read.GetProperty("fields").GetProperty("body").GetString().Should().Contain("anna.k@example.com");
        read.GetProperty("fields").GetProperty("title").GetString().Should().Be("Session 12 with Anna");
    }

    [Fact]
    public async Task A_scan_of_the_tables_shows_no_plaintext_of_encrypted_fields_and_no_subject_id()
    {
        var tenant = NewTenant();
        var subject = $"subj-{Guid.NewGuid():N}";
        using var service = _api.ClientWithToken(tenant, Roles.Service);
        (await PostRecordAsync(service, tenant, subject, Transcript)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await PostRecordAsync(service, tenant, subject, new { category = "goal", sensitive = true, fields = new { text = "Quit smoking by March" } })).StatusCode.Should().Be(HttpStatusCode.Created);

        var records = await ScanAllAsync("Records");
        var everything = records.Concat(await ScanAllAsync("Inventory")).Concat(await ScanAllAsync("Keys")).Concat(await ScanAllAsync("Audit")).ToList();

        records.Should().NotContain(r => r.Contains("anna.k@example.com", StringComparison.Ordinal) || r.Contains("Session 12", StringComparison.Ordinal) || r.Contains("Quit smoking", StringComparison.Ordinal));
        everything.Should().NotContain(r => r.Contains(subject, StringComparison.Ordinal), "subject ids appear only as subject refs");
    }

    [Fact]
    public async Task A_plain_category_is_stored_readable_and_internal()
    {
        var tenant = NewTenant();
        using var service = _api.ClientWithToken(tenant, Roles.Service);

        var body = await HttpJson.ReadJsonAsync(await PostRecordAsync(service, tenant, "s-1", new { category = "goal", fields = new { text = "Run 5k by June" } }));

        (body.GetProperty("classification").GetString(), body.GetProperty("encrypted").GetBoolean()).Should().Be(("internal", false));
        (await ScanAllAsync("Records")).Should().Contain(r => r.Contains("Run 5k by June", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_tenants_category_retention_sets_retainUntil()
    {
        var tenant = NewTenant();
        using var admin = _api.ClientWithToken(tenant, Roles.TenantAdmin);
        (await admin.PutAsJsonAsync($"/v1/tenants/{tenant}/settings/retention", new { categories = new { journal = "P1Y" } }, Ct)).EnsureSuccessStatusCode();

        var body = await HttpJson.ReadJsonAsync(await PostRecordAsync(admin, tenant, "s-1", new { category = "journal", fields = new { text = "Dear diary" } }));

        (body.GetProperty("retainUntil").GetDateTimeOffset() - body.GetProperty("createdAt").GetDateTimeOffset()).Should().Be(TimeSpan.FromDays(365));
    }

    [Fact]
    public async Task Listing_pages_newest_first_with_a_cursor_and_refuses_a_forged_cursor()
    {
        var tenant = NewTenant();
        using var service = _api.ClientWithToken(tenant, Roles.Service);
        foreach (var n in new[] { 1, 2, 3 })
        {
            (await PostRecordAsync(service, tenant, "s-1", new { category = "journal", fields = new { text = $"entry {n}" } })).EnsureSuccessStatusCode();
        }

        var first = await HttpJson.ReadJsonAsync(await service.GetAsync($"/v1/tenants/{tenant}/subjects/s-1/records?limit=2", Ct));
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await HttpJson.ReadJsonAsync(await service.GetAsync($"/v1/tenants/{tenant}/subjects/s-1/records?limit=2&cursor={cursor}", Ct));

        first.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("fields").GetProperty("text").GetString()).Should().Equal("entry 3", "entry 2");
        second.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("fields").GetProperty("text").GetString()).Should().Equal("entry 1");
        second.GetProperty("nextCursor").ValueKind.Should().Be(JsonValueKind.Null);
        (await service.GetAsync($"/v1/tenants/{tenant}/subjects/s-1/records?cursor=bm90LWEtY3Vyc29y", Ct)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_subject_reads_its_own_records_but_not_another_subjects_and_cannot_write()
    {
        var tenant = NewTenant();
        using var service = _api.ClientWithToken(tenant, Roles.Service);
        (await PostRecordAsync(service, tenant, "anna", new { category = "goal", fields = new { text = "mine" } })).EnsureSuccessStatusCode();
        using var anna = _api.ClientWithToken(tenant, Roles.Subject, "anna");

        (await anna.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await anna.GetAsync($"/v1/tenants/{tenant}/subjects/ben/records", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await PostRecordAsync(anna, tenant, "anna", new { category = "goal", fields = new { text = "x" } })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Another_tenants_token_gets_403_and_another_tenants_record_id_is_404()
    {
        var mine = NewTenant();
        var theirs = NewTenant();
        using var theirService = _api.ClientWithToken(theirs, Roles.Service);
        var theirId = (await HttpJson.ReadJsonAsync(await PostRecordAsync(theirService, theirs, "s-1", Transcript))).GetProperty("id").GetString();
        using var myService = _api.ClientWithToken(mine, Roles.Service);

        (await myService.GetAsync($"/v1/tenants/{theirs}/subjects/s-1/records/{theirId}", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await PostRecordAsync(myService, theirs, "s-1", Transcript)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await myService.GetAsync($"/v1/tenants/{mine}/subjects/s-1/records/{theirId}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Another_subjects_record_id_is_404()
    {
        var tenant = NewTenant();
        using var service = _api.ClientWithToken(tenant, Roles.Service);
        var id = (await HttpJson.ReadJsonAsync(await PostRecordAsync(service, tenant, "anna", Transcript))).GetProperty("id").GetString();

        (await service.GetAsync($"/v1/tenants/{tenant}/subjects/ben/records/{id}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_auditor_may_not_write_records()
    {
        var tenant = NewTenant();
        using var auditor = _api.ClientWithToken(tenant, Roles.Auditor);

        (await PostRecordAsync(auditor, tenant, "s-1", Transcript)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    public static TheoryData<string, string> BadRecords() => new()
    {
        { """{"category":"Transcript","fields":{"a":"b"}}""", "category" },
        { """{"category":"goal"}""", "fields" },
        { """{"category":"goal","fields":{}}""", "fields" },
        { """{"category":"goal","fields":{"bad name":"b"}}""", "fields.bad name" },
        { """{"category":"goal","visibility":"Everyone!","fields":{"a":"b"}}""", "visibility" },
        { "{\"category\":\"goal\",\"fields\":{\"a\":\"" + new string('x', 70_000) + "\"}}", "fields.a" },
    };

    [Theory]
    [MemberData(nameof(BadRecords))]
    public async Task Bad_records_are_a_400_naming_the_field_and_store_nothing(string body, string field)
    {
        var tenant = NewTenant();
        using var service = _api.ClientWithToken(tenant, Roles.Service);

        using var response = await service.PostAsync($"/v1/tenants/{tenant}/subjects/s-1/records", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await HttpJson.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue();
        (await HttpJson.ReadJsonAsync(await service.GetAsync($"/v1/tenants/{tenant}/subjects/s-1/records", Ct))).GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task A_bad_subject_id_is_a_400()
    {
        var tenant = NewTenant();
        using var service = _api.ClientWithToken(tenant, Roles.Service);

        (await PostRecordAsync(service, tenant, "has%20space", Transcript)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Reading_an_encrypted_record_is_audited_with_who_and_what_but_no_content()
    {
        var tenant = NewTenant();
        using var service = _api.ClientWithToken(tenant, Roles.Service, "client-app");
        var id = (await HttpJson.ReadJsonAsync(await PostRecordAsync(service, tenant, "anna", Transcript))).GetProperty("id").GetString();

        (await service.GetAsync($"/v1/tenants/{tenant}/subjects/anna/records/{id}", Ct)).EnsureSuccessStatusCode();

        var audit = (await ScanAllAsync("Audit")).Where(e => e.Contains($"record/{id}", StringComparison.Ordinal)).ToList();
        audit.Should().Contain(e => e.Contains("record.create", StringComparison.Ordinal)).And.Contain(e => e.Contains("record.read", StringComparison.Ordinal) && e.Contains("client-app", StringComparison.Ordinal));
        audit.Should().NotContain(e => e.Contains("anna", StringComparison.Ordinal));
    }
}
