using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>
/// The launcher reads transaction and batch-write bodies itself, applies a transaction's plain updates itself and caches
/// parsed conditions (patch 6): what a transaction writes, refuses and leaves behind must still be what DynamoDB would do.
/// </summary>
public sealed class MotoTransactionTests(LocalCloudFixture fixture)
{
    private string Table => new ResourceNames(v => fixture.Cloud.Environment.TryGetValue(v, out var value) ? value : null).Table(ResourceCatalog.Tenants);

    private static Dictionary<string, AttributeValue> Key(string pk) => new() { ["pk"] = new() { S = pk }, ["sk"] = new() { S = "ITEM" } };

    private static string NewPartition() => $"MOTO-TX#{Guid.NewGuid():N}";

    private async Task<Dictionary<string, AttributeValue>> ReadAsync(AmazonDynamoDBClient dynamo, string pk) =>
        (await dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = Key(pk), ConsistentRead = true }, TestContext.Current.CancellationToken)).Item;

    private async Task PutAsync(AmazonDynamoDBClient dynamo, string pk, Dictionary<string, AttributeValue> attributes)
    {
        var item = Key(pk);
        foreach (var (name, value) in attributes)
        {
            item[name] = value;
        }

        await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = item }, TestContext.Current.CancellationToken);
    }

    private TransactWriteItem Update(string pk, string expression, Dictionary<string, AttributeValue> values, string? condition = null) => new()
    {
        Update = new Update
        {
            TableName = Table,
            Key = Key(pk),
            UpdateExpression = expression,
            ConditionExpression = condition,
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = values,
        },
    };

    private string InventoryTable => new ResourceNames(v => fixture.Cloud.Environment.TryGetValue(v, out var value) ? value : null).Table(ResourceCatalog.Inventory);

    [Fact]
    public void The_launcher_applies_its_write_cost_patch_to_the_pinned_moto()
    {
        // tools/requirements.txt pins moto 5.2.1, whose costs the patch removes: "not needed" there would mean the fast
        // paths below were never exercised.
        fixture.Cloud.MotoOutput.Should().Contain("write-costs-patch=applied");
    }

    [Fact]
    public async Task Plain_updates_set_keep_and_remove_attributes_as_DynamoDB_does_beside_an_update_moto_applies_itself()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var (plain, counted) = (NewPartition(), NewPartition());
        await PutAsync(dynamo, plain, new() { ["state"] = new() { S = "active" }, ["since"] = new() { S = "first" }, ["stale"] = new() { S = "x" } });
        await PutAsync(dynamo, counted, new() { ["state"] = new() { S = "active" }, ["count"] = new() { N = "1" } });

        // ADD is not a plain update: moto's own executor applies it, in the same transaction.
        var add = Update(counted, "SET #state = :to ADD #count :one", new() { [":to"] = new() { S = "hidden" }, [":one"] = new() { N = "1" } });
        add.Update.ExpressionAttributeNames["#count"] = "count";

        await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                Update(plain, "SET #state = :to, since = if_not_exists(since, :now), firstSeen = if_not_exists(firstSeen, :now) REMOVE stale",
                    new() { [":to"] = new() { S = "hidden" }, [":now"] = new() { S = "second" }, [":from"] = new() { S = "active" } }, "#state = :from"),
                add,
            ],
        }, ct);

        var updated = await ReadAsync(dynamo, plain);
        updated["state"].S.Should().Be("hidden");
        updated["since"].S.Should().Be("first", "if_not_exists keeps an attribute that is there");
        updated["firstSeen"].S.Should().Be("second", "if_not_exists sets an attribute that is not");
        updated.Should().NotContainKey("stale");
        var added = await ReadAsync(dynamo, counted);
        added["state"].S.Should().Be("hidden");
        added["count"].N.Should().Be("2");
    }

    [Fact]
    public async Task A_repeated_condition_is_evaluated_with_its_own_values_each_time()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var pk = NewPartition();
        await PutAsync(dynamo, pk, new() { ["state"] = new() { S = "active" } });
        Dictionary<string, AttributeValue> Values(string from, string to, string unrelated) =>
            new() { [":from"] = new() { S = from }, [":to"] = new() { S = to }, [":other"] = new() { S = unrelated } };
        TransactWriteItemsRequest Move(string from, string to, string unrelated) => new()
        {
            TransactItems = [Update(pk, "SET #state = :to, note = :other", Values(from, to, unrelated), "#state = :from")],
        };

        await dynamo.TransactWriteItemsAsync(Move("active", "hidden", "one"), ct);
        var again = () => dynamo.TransactWriteItemsAsync(Move("active", "purged", "two"), ct);
        var onward = () => dynamo.TransactWriteItemsAsync(Move("hidden", "purged", "three"), ct);

        await again.Should().ThrowAsync<TransactionCanceledException>("the item is no longer active");
        (await ReadAsync(dynamo, pk))["state"].S.Should().Be("hidden");
        await onward.Should().NotThrowAsync();
        var item = await ReadAsync(dynamo, pk);
        item["state"].S.Should().Be("purged");
        item["note"].S.Should().Be("three");
    }

    [Fact]
    public async Task A_transaction_whose_update_outgrows_the_item_limit_writes_none_of_its_actions()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var (big, other) = (NewPartition(), NewPartition());
        await PutAsync(dynamo, big, new() { ["state"] = new() { S = "active" }, ["body"] = new() { S = new string('a', 300_000) } });
        await PutAsync(dynamo, other, new() { ["state"] = new() { S = "active" } });

        var outgrow = () => dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                Update(other, "SET #state = :to", new() { [":to"] = new() { S = "hidden" } }),
                Update(big, "SET #state = :to, extra = :extra", new() { [":to"] = new() { S = "hidden" }, [":extra"] = new() { S = new string('b', 150_000) } }),
            ],
        }, ct);

        await outgrow.Should().ThrowAsync<AmazonDynamoDBException>();
        (await ReadAsync(dynamo, other))["state"].S.Should().Be("active", "a failed transaction writes nothing");
        var unchanged = await ReadAsync(dynamo, big);
        unchanged["state"].S.Should().Be("active");
        unchanged.Should().NotContainKey("extra");
    }

    [Fact]
    public async Task Binary_values_written_by_a_transaction_or_a_batch_read_back_byte_for_byte()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var (byTransaction, byBatch) = (NewPartition(), NewPartition());
        byte[] sealedBytes = [0, 1, 2, 250, 255, 10, 13];
        Dictionary<string, AttributeValue> Item(string pk)
        {
            var item = Key(pk);
            item["sealed"] = new() { B = new MemoryStream(sealedBytes) };
            item["parts"] = new() { BS = [new MemoryStream([7, 8]), new MemoryStream([9])] };
            item["nested"] = new() { M = new() { ["inner"] = new() { L = [new() { B = new MemoryStream([42, 0, 42]) }, new() { S = "text" }] } } };
            return item;
        }

        await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = [new() { Put = new Put { TableName = Table, Item = Item(byTransaction) } }] }, ct);
        await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [Table] = [new WriteRequest { PutRequest = new PutRequest { Item = Item(byBatch) } }] } }, ct);

        foreach (var pk in new[] { byTransaction, byBatch })
        {
            var read = await ReadAsync(dynamo, pk);
            read["sealed"].B.ToArray().Should().Equal(sealedBytes);
            read["parts"].BS.Select(b => b.ToArray()).Should().BeEquivalentTo(new[] { new byte[] { 7, 8 }, [9] });
            read["nested"].M["inner"].L[0].B.ToArray().Should().Equal(42, 0, 42);
            read["nested"].M["inner"].L[1].S.Should().Be("text");
        }
    }

    [Fact]
    public async Task If_not_exists_reads_the_item_as_it_was_before_the_update()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var pk = NewPartition();
        await PutAsync(dynamo, pk, new() { ["state"] = new() { S = "active" }, ["earlier"] = new() { S = "kept" } });

        await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                // REMOVE first and SET after it: both orders read the item as it was.
                Update(pk, "REMOVE earlier SET #state = :s, fresh = :v, carried = if_not_exists(fresh, :w), moved = if_not_exists(earlier, :w)",
                    new() { [":s"] = new() { S = "hidden" }, [":v"] = new() { S = "set-now" }, [":w"] = new() { S = "fallback" } }),
            ],
        }, ct);

        var item = await ReadAsync(dynamo, pk);
        item["carried"].S.Should().Be("fallback", "fresh did not exist before the update");
        item["moved"].S.Should().Be("kept", "earlier existed before the update, though the same update removes it");
        item.Should().NotContainKey("earlier");
    }

    [Fact]
    public async Task Updates_DynamoDB_refuses_are_refused_and_write_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var pk = NewPartition();
        var key = new Dictionary<string, AttributeValue> { ["pk"] = new() { S = pk }, ["sk"] = new() { S = "ITEM#moto-tx" } };
        await dynamo.PutItemAsync(new PutItemRequest { TableName = InventoryTable, Item = new(key) { ["state"] = new() { S = "active" } } }, ct);
        Func<Task> Refused(string expression, Dictionary<string, AttributeValue> values) => () => dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems = [new() { Update = new Update { TableName = InventoryTable, Key = key, UpdateExpression = expression, ExpressionAttributeValues = values } }],
        }, ct);

        // A bare reserved word, an index key of the wrong type, an empty index key, an undefined placeholder, a table key.
        await Refused("SET status = :v", new() { [":v"] = new() { S = "x" } }).Should().ThrowAsync<AmazonDynamoDBException>();
        await Refused("SET purgePk = :v", new() { [":v"] = new() { N = "1" } }).Should().ThrowAsync<AmazonDynamoDBException>();
        await Refused("SET purgePk = :v", new() { [":v"] = new() { S = string.Empty } }).Should().ThrowAsync<AmazonDynamoDBException>();
        await Refused("SET purgePk = :v, note = :missing", new() { [":v"] = new() { S = "P#1" } }).Should().ThrowAsync<AmazonDynamoDBException>();
        await Refused("SET sk = :v", new() { [":v"] = new() { S = "ITEM#other" } }).Should().ThrowAsync<AmazonDynamoDBException>();

        var item = (await dynamo.GetItemAsync(new GetItemRequest { TableName = InventoryTable, Key = key, ConsistentRead = true }, ct)).Item;
        item.Keys.Should().BeEquivalentTo(["pk", "sk", "state"], "no refused update wrote anything");
    }
}
