using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.LocalCloud.EventSources;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>The launcher answers GetRecords (patch 8) and item reads (patch 9) itself and queries one partition (patch 10): what they return must still be what moto stored.</summary>
public sealed class MotoStreamTests(LocalCloudFixture fixture)
{
    [Fact]
    public void The_launcher_applies_its_stream_read_patch_to_the_pinned_moto()
    {
        fixture.Cloud.MotoOutput.Should().Contain("stream-reads-patch=applied");
    }

    [Fact]
    public void The_launcher_applies_its_read_answer_patch_to_the_pinned_moto()
    {
        // Every GetItem, Query, Scan and BatchGetItem of the suites goes through it: they are its regression tests.
        fixture.Cloud.MotoOutput.Should().Contain("read-answers-patch=applied");
    }

    [Fact]
    public void The_launcher_applies_its_query_partition_patch_to_the_pinned_moto()
    {
        fixture.Cloud.MotoOutput.Should().Contain("query-partition-patch=applied");
    }

    [Fact]
    public async Task A_paged_query_returns_its_partition_in_key_order_and_nothing_of_its_neighbours()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        var table = new ResourceNames(v => fixture.Cloud.Environment.TryGetValue(v, out var value) ? value : null).Table(ResourceCatalog.Tenants);
        var (mine, neighbour) = ($"QUERY#{Guid.NewGuid():N}", $"QUERY#{Guid.NewGuid():N}");
        foreach (var pk in new[] { mine, neighbour })
        {
            foreach (var n in Enumerable.Range(0, 30).Reverse())
            {
                await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = new() { ["pk"] = new() { S = pk }, ["sk"] = new() { S = $"ITEM#{n:00}" } } }, ct);
            }
        }

        var read = new List<string>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "pk = :pk AND begins_with(sk, :item)",
                ExpressionAttributeValues = new() { [":pk"] = new() { S = mine }, [":item"] = new() { S = "ITEM#" } },
                Limit = 7,
                ExclusiveStartKey = start,
                ConsistentRead = true,
            }, ct);
            read.AddRange(page.Items.Select(i => $"{i["pk"].S}/{i["sk"].S}"));
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        read.Should().Equal(Enumerable.Range(0, 30).Select(n => $"{mine}/ITEM#{n:00}"));
    }

    [Fact]
    public async Task A_stream_record_carries_keys_and_new_image_of_every_attribute_type_as_written()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dynamo = fixture.Cloud.CreateDynamoDbClient();
        using var http = new HttpClient();
        var streams = new DynamoStreamsClient(http, fixture.Cloud.Endpoint, fixture.Cloud.Region, fixture.Cloud.Credentials);
        var table = new ResourceNames(v => fixture.Cloud.Environment.TryGetValue(v, out var value) ? value : null).Table(ResourceCatalog.Audit);
        var arn = (await dynamo.DescribeTableAsync(table, ct)).Table.LatestStreamArn;
        var shard = (await streams.DescribeStreamAsync(arn, ct)).StreamDescription.Shards[^1].ShardId;
        var iterator = (await streams.GetShardIteratorAsync(new GetShardIteratorRequest(arn, shard, "LATEST"), ct)).ShardIterator!;
        // Not a journal event (no EVENT# key): the chainer's filter lets it pass by.
        var pk = $"TENANT#stream-{Guid.NewGuid():N}";
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new()
            {
                ["pk"] = new() { S = pk },
                ["sk"] = new() { S = "STREAMTEST#1" },
                ["text"] = new() { S = "Grüße" },
                ["count"] = new() { N = "42" },
                ["blob"] = new() { B = new MemoryStream([0, 1, 2, 250]) },
                ["flag"] = new() { BOOL = true },
                ["map"] = new() { M = new() { ["inner"] = new() { S = "x" } } },
                ["list"] = new() { L = [new() { N = "1" }, new() { S = "two" }] },
            },
        }, ct);

        var records = (await streams.GetRecordsAsync(new GetRecordsRequest(iterator, 1000), ct)).Records;

        var record = records.Should().ContainSingle(r => r.GetProperty("dynamodb").GetProperty("Keys").GetProperty("pk").GetProperty("S").GetString() == pk).Which;
        record.GetProperty("eventName").GetString().Should().Be("INSERT");
        var change = record.GetProperty("dynamodb");
        change.GetProperty("ApproximateCreationDateTime").GetDouble().Should().BeGreaterThan(1.7e9, "epoch seconds, as DynamoDB sends them");
        var image = change.GetProperty("NewImage");
        image.GetProperty("text").GetProperty("S").GetString().Should().Be("Grüße");
        image.GetProperty("count").GetProperty("N").GetString().Should().Be("42");
        Convert.FromBase64String(image.GetProperty("blob").GetProperty("B").GetString()!).Should().Equal(0, 1, 2, 250);
        image.GetProperty("flag").GetProperty("BOOL").GetBoolean().Should().BeTrue();
        image.GetProperty("map").GetProperty("M").GetProperty("inner").GetProperty("S").GetString().Should().Be("x");
        image.GetProperty("list").GetProperty("L")[1].GetProperty("S").GetString().Should().Be("two");
    }
}
