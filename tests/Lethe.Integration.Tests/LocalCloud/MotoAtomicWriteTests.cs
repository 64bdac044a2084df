using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>
/// DynamoDB makes every conditional write and transaction atomic; the launcher does the same in moto with per-item locks
/// (patch 7), and the gateway forwards writes concurrently. These races would pass a condition twice or lose an update without it.
/// </summary>
public sealed class MotoAtomicWriteTests(LocalCloudFixture fixture)
{
    private ResourceNames Names => new(v => fixture.Cloud.Environment.TryGetValue(v, out var value) ? value : null);

    private static Dictionary<string, AttributeValue> Key(string pk) => new() { ["pk"] = new() { S = pk }, ["sk"] = new() { S = "ITEM" } };

    [Fact]
    public void The_launcher_applies_its_atomic_write_patch_to_the_pinned_moto()
    {
        fixture.Cloud.MotoOutput.Should().Contain("atomic-writes-patch=applied");
    }

    [Fact]
    public async Task Of_fifty_concurrent_conditional_puts_of_one_new_key_exactly_one_succeeds()
    {
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var pk = $"ATOMIC#{Guid.NewGuid():N}";
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(async writer =>
        {
            var item = Key(pk);
            item["writer"] = new() { N = writer.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            try
            {
                await dynamo.PutItemAsync(new PutItemRequest
                {
                    TableName = Names.Table(ResourceCatalog.Tenants),
                    Item = item,
                    ConditionExpression = "attribute_not_exists(pk)",
                }, TestContext.Current.CancellationToken);
                return true;
            }
            catch (ConditionalCheckFailedException)
            {
                return false;
            }
        }));

        outcomes.Count(won => won).Should().Be(1);
    }

    [Fact]
    public async Task Fifty_concurrent_increments_of_one_counter_all_count()
    {
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var pk = $"ATOMIC#{Guid.NewGuid():N}";
        var table = Names.Table(ResourceCatalog.Tenants);
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = Key(pk),
            UpdateExpression = "SET hits = if_not_exists(hits, :zero) + :one",
            ExpressionAttributeValues = new() { [":zero"] = new() { N = "0" }, [":one"] = new() { N = "1" } },
        }, TestContext.Current.CancellationToken)));

        var stored = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key(pk), ConsistentRead = true }, TestContext.Current.CancellationToken);
        stored.Item["hits"].N.Should().Be("50");
    }

    [Fact]
    public async Task Transactions_writing_the_same_two_items_in_opposite_orders_all_complete_and_leave_both_from_one_of_them()
    {
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var (tenants, inventory) = (Names.Table(ResourceCatalog.Tenants), Names.Table(ResourceCatalog.Inventory));
        var pk = $"ATOMIC#{Guid.NewGuid():N}";
        TransactWriteItem Put(string table, int n)
        {
            var item = Key(pk);
            item["writer"] = new() { N = n.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            return new() { Put = new Put { TableName = table, Item = item } };
        }

        await Task.WhenAll(Enumerable.Range(0, 40).Select(n => dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems = n % 2 == 0 ? [Put(tenants, n), Put(inventory, n)] : [Put(inventory, n), Put(tenants, n)],
        }, TestContext.Current.CancellationToken)));

        var writers = new List<string>();
        foreach (var table in new[] { tenants, inventory })
        {
            var stored = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key(pk), ConsistentRead = true }, TestContext.Current.CancellationToken);
            writers.Add(stored.Item["writer"].N);
        }

        writers.Distinct().Should().ContainSingle("each transaction wrote both items at once, so the last one to commit wrote both");
    }
}
