using System.Net;
using System.Net.Http.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.BackupScrub;

/// <summary>
/// POST …/replay-erasures after a restore (issue 15): a copy of the tenant's Records and Keys taken before an erasure is put
/// back, as a restore from a backup would; the replay (workflows/erasure-replay.asl.json in moto) removes the erased subject
/// again from the deletion tombstones and the certificate's shredded KEK, and leaves everything else as it was.
/// </summary>
public sealed class ErasureReplayTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string TableOf(TableDefinition table) => ResourceNames.FromEnvironment().Table(table);

    /// <summary>Every item of the tenant's partition of a table, by sort key (consistent reads).</summary>
    private static async Task<Dictionary<string, Dictionary<string, AttributeValue>>> PartitionAsync(AmazonDynamoDBClient dynamo, TableDefinition table, string tenant)
    {
        var items = new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = TableOf(table),
                KeyConditionExpression = "pk = :p",
                ExpressionAttributeValues = new() { [":p"] = new() { S = $"TENANT#{tenant}" } },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, Ct);
            foreach (var item in page.Items)
            {
                items[item["sk"].S] = item;
            }

            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);

        return items;
    }

    /// <summary>Puts a partition copy back, as a restore of the table from a backup taken then would.</summary>
    private static async Task RestoreAsync(AmazonDynamoDBClient dynamo, TableDefinition table, Dictionary<string, Dictionary<string, AttributeValue>> copy)
    {
        foreach (var item in copy.Values)
        {
            await dynamo.PutItemAsync(new PutItemRequest { TableName = TableOf(table), Item = item }, Ct);
        }
    }

    private static string Render(Dictionary<string, AttributeValue> item) =>
        string.Join(";", item.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value.S ?? p.Value.N ?? (p.Value.B is { } b ? Convert.ToBase64String(b.ToArray()) : p.Value.BOOL?.ToString())}"));

    [Fact]
    public async Task Replaying_erasures_after_a_restore_removes_the_erased_subject_again_and_changes_nothing_else()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "replay");
        await scenario.SeedAsync("anna", fileVersions: 1);
        await scenario.SeedAsync("bruno", fileVersions: 1);
        var annaRef = await scenario.SubjectRefAsync("anna");
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var recordsBefore = await PartitionAsync(dynamo, ResourceCatalog.Records, scenario.Tenant);
        var keysBefore = await PartitionAsync(dynamo, ResourceCatalog.Keys, scenario.Tenant);
        var erasureId = (await (await scenario.SubmitErasureAsync("anna")).ReadJsonAsync()).GetProperty("id").GetString()!;
        (await scenario.WaitForJobAsync(erasureId, ErasureScenario.IsClosed)).Job.GetProperty("status").GetString().Should().Be("completed");
        var recordsErased = await PartitionAsync(dynamo, ResourceCatalog.Records, scenario.Tenant);
        var keysErased = await PartitionAsync(dynamo, ResourceCatalog.Keys, scenario.Tenant);
        await RestoreAsync(dynamo, ResourceCatalog.Records, recordsBefore);
        await RestoreAsync(dynamo, ResourceCatalog.Keys, keysBefore);
        (await scenario.RecordItemExistsAsync(scenario.Records["anna"][0])).Should().BeTrue("the restore brought the erased subject's rows back");
        (await scenario.KekExistsAsync(annaRef)).Should().BeTrue("and the KEK the erasure shredded");

        using var tenantAdmin = api.ClientWithToken(scenario.Tenant, Roles.TenantAdmin, "admin-ines");
        (await tenantAdmin.PostAsync($"/v1/tenants/{scenario.Tenant}/replay-erasures", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using var platform = api.PlatformAdmin();
        var started = await platform.PostAsync($"/v1/tenants/{scenario.Tenant}/replay-erasures", null, Ct);
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync(Ct));
        var replay = await started.ReadJsonAsync();
        replay.GetProperty("type").GetString().Should().Be("erasure-replay");
        var replayId = replay.GetProperty("id").GetString()!;
        var (done, _) = await scenario.WaitForJobAsync(replayId, ErasureScenario.IsClosed);

        done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
        foreach (var recordId in scenario.Records["anna"])
        {
            (await scenario.RecordItemExistsAsync(recordId)).Should().BeFalse();
            (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/subjects/anna/records/{recordId}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        (await scenario.KekExistsAsync(annaRef)).Should().BeFalse();
        var recordsReplayed = await PartitionAsync(dynamo, ResourceCatalog.Records, scenario.Tenant);
        var keysReplayed = await PartitionAsync(dynamo, ResourceCatalog.Keys, scenario.Tenant);
        recordsReplayed.Keys.Should().BeEquivalentTo(recordsErased.Keys, "the Records table is as the erasure left it");
        keysReplayed.Keys.Should().BeEquivalentTo(keysErased.Keys, "and so are the Keys");
        foreach (var (sortKey, item) in recordsErased)
        {
            Render(recordsReplayed[sortKey]).Should().Be(Render(item), $"{sortKey} is untouched");
        }

        foreach (var (sortKey, item) in keysErased.Where(k => !k.Key.StartsWith("KEKSHRED#", StringComparison.Ordinal)))
        {
            Render(keysReplayed[sortKey]).Should().Be(Render(item), $"{sortKey} is untouched");
        }

        // Three records and the consent (its current row and its history, one item) were back; the file's versions were not
        // (S3 was not restored).
        done.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(4, "each item of the erased subject that the restore brought back was removed again, and counted");
        var bruno = await (await scenario.ListRecordsAsync("bruno")).ReadJsonAsync();
        bruno.GetProperty("items").GetArrayLength().Should().Be(3);
        bruno.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("fields").ToString()).Should().Contain(f => f.Contains("Second session of bruno", StringComparison.Ordinal));
        var second = await platform.PostAsync($"/v1/tenants/{scenario.Tenant}/replay-erasures", null, Ct);
        second.StatusCode.Should().Be(HttpStatusCode.Accepted, "the first is done, so a second may run");
        var again = await scenario.WaitForJobAsync((await second.ReadJsonAsync()).GetProperty("id").GetString()!, ErasureScenario.IsClosed);
        again.Job.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(0, "nothing was back the second time");
    }

    [Fact]
    public async Task A_replay_leaves_the_consent_a_returning_subject_granted_again_and_its_history()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "replayc");
        await scenario.SeedAsync("carla", fileVersions: 1);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/carla/consents/marketing", new { granted = true }, Ct)).EnsureSuccessStatusCode();
        var erasureId = (await (await scenario.SubmitErasureAsync("carla")).ReadJsonAsync()).GetProperty("id").GetString()!;
        (await scenario.WaitForJobAsync(erasureId, ErasureScenario.IsClosed)).Job.GetProperty("status").GetString().Should().Be("completed");
        // Carla comes back and grants one of her two purposes again: its item starts afresh, the other stays a tombstone.
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/carla/consents/ai-processing", new { granted = true }, Ct)).EnsureSuccessStatusCode();
        using var platform = api.PlatformAdmin();

        var started = await platform.PostAsync($"/v1/tenants/{scenario.Tenant}/replay-erasures", null, Ct);
        var (done, _) = await scenario.WaitForJobAsync((await started.ReadJsonAsync()).GetProperty("id").GetString()!, ErasureScenario.IsClosed);

        done.GetProperty("status").GetString().Should().Be("completed", done.ToString());
        done.GetProperty("counts").GetProperty("purged").GetInt64().Should().Be(0, "nothing of the erasure was back");
        var consents = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/subjects/carla/consents", Ct)).ReadJsonAsync();
        consents.GetProperty("items").EnumerateArray().Should().ContainSingle(c => c.GetProperty("purpose").GetString() == "ai-processing" && c.GetProperty("granted").GetBoolean());
        consents.GetProperty("history").GetArrayLength().Should().Be(1, "the new grant's history is live data, not the erased one's");
    }
}
