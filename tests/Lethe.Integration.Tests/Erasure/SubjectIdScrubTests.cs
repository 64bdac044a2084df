using System.Net;
using System.Net.Http.Json;
using System.Text;
using Amazon.DynamoDBv2.Model;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Erasure;

/// <summary>
/// Issue 11, finding 5: once a subject is erased, no table names them. Jobs and their indexes hold the subject's ref only,
/// free-text reasons are forgotten with the subject and never enter the audit chain, and a subject's own token is journaled
/// as "data-subject" whatever other roles it holds.
/// </summary>
public sealed class SubjectIdScrubTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private const string Person = "Zelda.Quill-7731@example.org";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_an_erasure_a_scan_of_every_table_finds_the_subject_id_nowhere()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "scr");
        await scenario.SeedAsync(Person, fileVersions: 1);
        using var self = api.ClientWithRoles(scenario.Tenant, [Roles.Subject, Roles.Auditor], Person);
        var export = await self.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests", new { type = "export", subjectId = Person, reason = $"takeout for {Person}" }, Ct);
        export.StatusCode.Should().Be(HttpStatusCode.Accepted, await export.Content.ReadAsStringAsync(Ct));
        var exportId = (await export.ReadJsonAsync()).GetProperty("id").GetString()!;
        (await scenario.WaitForJobAsync(exportId, ErasureScenario.IsClosed)).Job.GetProperty("status").GetString().Should().Be("completed");
        var hold = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/legal-holds", new { subjectId = Person, reason = $"litigation naming {Person}" }, Ct);
        var holdId = (await hold.ReadJsonAsync()).GetProperty("id").GetString()!;
        (await scenario.Admin.DeleteAsync($"/v1/tenants/{scenario.Tenant}/legal-holds/{holdId}", Ct)).EnsureSuccessStatusCode();
        var beforeErasure = await scenario.JobAsync(exportId);

        var erasure = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/requests", new { type = "deletion", subjectId = Person, reason = $"Art. 17 request from {Person}" }, Ct);
        var erasureId = (await erasure.ReadJsonAsync()).GetProperty("id").GetString()!;
        var (erased, _) = await scenario.WaitForJobAsync(erasureId, ErasureScenario.IsClosed);

        beforeErasure.GetProperty("subjectId").GetString().Should().Be(Person, "while the subject exists, the directory names them");
        erased.GetProperty("status").GetString().Should().Be("completed", erased.ToString());
        erased.GetProperty("subjectId").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
        (await scenario.JobAsync(exportId)).GetProperty("reason").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null, "reasons go with the subject");
        foreach (var table in ResourceCatalog.Tables)
        {
            var leaks = await ScanForAsync(table, Person);
            leaks.Should().BeEmpty($"no item of {table.LogicalName} may name the erased subject");
        }

        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/{Person}/consents/ai-processing", new { granted = true }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.OK, "a person who comes back after an erasure may consent again (the old consent was purged)");
    }

    /// <summary>Every string, number, binary (as UTF-8), list and map value of every item, recursively.</summary>
    private async Task<List<string>> ScanForAsync(TableDefinition table, string needle)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var found = new List<string>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.ScanAsync(new ScanRequest { TableName = ResourceNames.FromEnvironment().Table(table), ExclusiveStartKey = start }, Ct);
            foreach (var item in page.Items)
            {
                foreach (var (name, value) in item)
                {
                    if (Text(value).Contains(needle, StringComparison.OrdinalIgnoreCase))
                    {
                        found.Add($"{item[ResourceCatalog.SortKeyName].S}.{name}");
                    }
                }
            }

            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);

        return found;
    }

    private static string Text(AttributeValue value)
    {
        var text = new StringBuilder();
        text.Append(value.S).Append(value.N);
        if (value.B is not null)
        {
            text.Append(Encoding.UTF8.GetString(value.B.ToArray()));
        }

        foreach (var member in value.SS ?? [])
        {
            text.Append(member);
        }

        foreach (var element in value.L ?? [])
        {
            text.Append(Text(element));
        }

        foreach (var (name, inner) in value.M ?? [])
        {
            text.Append(name).Append(Text(inner));
        }

        return text.ToString();
    }
}
