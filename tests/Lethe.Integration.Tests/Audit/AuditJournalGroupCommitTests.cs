using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Audit;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.Domain.Audit;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Audit;

/// <summary>
/// The journal group-commits the events of concurrent requests; every caller must still return only once its own event is
/// stored, and one event's failure must stay its own.
/// </summary>
public sealed class AuditJournalGroupCommitTests(LocalCloudFixture fixture)
{
    private static string Table => ResourceNames.FromEnvironment().Table(ResourceCatalog.Audit);

    private static AuditEvent Event(string tenant, int n, string details = "{}") => new(
        Guid.NewGuid().ToString("N"), tenant, DateTimeOffset.UtcNow, new AuditActor("app", "service"), "record.read", $"record/r-{n}", "success",
        JsonDocument.Parse(details).RootElement.Clone());

    private async Task<bool> StoredAsync(AuditEvent evt)
    {
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var item = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = Table,
            Key = new() { ["pk"] = new() { S = $"TENANT#{evt.TenantId}" }, ["sk"] = new() { S = DynamoAuditJournal.SortKey(evt) } },
            ConsistentRead = true,
        }, TestContext.Current.CancellationToken);
        return item.IsItemSet && item.Item["eventId"].S == evt.EventId;
    }

    [Fact]
    public async Task Every_one_of_forty_concurrent_appends_is_stored_when_its_caller_returns()
    {
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var journal = new DynamoAuditJournal(dynamo, Table);
        var tenant = $"gc-{Guid.NewGuid():N}"[..20];
        var events = Enumerable.Range(0, 40).Select(n => Event(tenant, n)).ToList();

        var stored = await Task.WhenAll(events.Select(async evt =>
        {
            await journal.AppendAsync(evt, TestContext.Current.CancellationToken);
            return await StoredAsync(evt);
        }));

        stored.Should().AllSatisfy(s => s.Should().BeTrue());
    }

    [Fact]
    public async Task An_event_that_cannot_be_stored_fails_only_its_own_caller()
    {
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var journal = new DynamoAuditJournal(dynamo, Table);
        var tenant = $"gc-{Guid.NewGuid():N}"[..20];
        var events = Enumerable.Range(0, 20).Select(n => Event(tenant, n)).ToList();
        // Over DynamoDB's 400 KB item limit: its put is refused, wherever it lands in a group.
        var oversized = Event(tenant, 99, JsonSerializer.Serialize(new { note = new string('x', 420_000) }));
        events.Insert(10, oversized);

        var outcomes = await Task.WhenAll(events.Select(async evt =>
        {
            try
            {
                await journal.AppendAsync(evt, TestContext.Current.CancellationToken);
                return (evt, Failed: false);
            }
            catch (AmazonDynamoDBException)
            {
                return (evt, Failed: true);
            }
        }));

        outcomes.Where(o => o.Failed).Select(o => o.evt).Should().Equal(oversized);
        foreach (var (evt, _) in outcomes.Where(o => !o.Failed))
        {
            (await StoredAsync(evt)).Should().BeTrue();
        }
    }
}
